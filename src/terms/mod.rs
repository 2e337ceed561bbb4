//! The terms a scenario file is written in that the providers' own sections
//! share with the rest of the file: durations, the OTP and SMS-arrival
//! choices of a simulated user, and OAuth clients. They sit below both
//! `providers` and `scenario`, so a provider's section needs nothing of the
//! file that holds it.

mod duration;
mod users;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub use duration::{Delay, Dur};
pub use users::{Arrival, Otp, SmsUser};

/// An OAuth client registered with a provider, as its fixtures list them.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthClient {
    #[schemars(with = "String")]
    pub client_id: Spanned<String>,
    pub client_secret: String,
}
