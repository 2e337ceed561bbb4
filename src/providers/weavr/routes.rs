//! Weavr's routes below `/weavr`: the Payment Run plug-in under
//! `/payment-run/v1/...` (and its simulator under `/payment-run/simulate/v1/...`),
//! the Multi API under `/multi/...`, and the Simulator under `/simulate/api/...`.

use hyper::Method;

use super::sca::Outcome;
use super::transfers::Kind;
use crate::providers::{operation_ids, RouteMatch, RouteTable};

/// Which of Weavr's products a request speaks to; they differ in codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    PaymentRun,
    Multi,
}

/// One Weavr operation, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Login(Profile),
    Logout(Profile),
    ListFactors,
    Enrol(Profile, String),
    VerifyEnrolment(Profile, String),
    IssueStepUp(Profile, String),
    VerifyStepUp(Profile, String),
    AccessToken,
    ManagedAccounts,
    CreatePaymentRun,
    GetPaymentRun(String),
    ConfirmPaymentRun(String),
    LinkedAccounts,
    IssuePaymentRunSca(String, String),
    VerifyPaymentRunSca(String, String),
    ListPaymentRuns,
    CreateUser,
    ListUsers,
    GetBuyer,
    UpdateBuyer,
    IssueStepUpPush(String),
    CreateTransfer(Kind),
    ListTransfers(Kind),
    GetTransfer(Kind, String),
    CancelTransfer(Kind, String),
    IssueTxOtp(Kind, String, String),
    VerifyTxOtp(Kind, String, String),
    IssueTxPush(Kind, String, String),
    IssueBatchOtp(String),
    VerifyBatchOtp(String, String),
    IssueBatchPush(String),
    /// The Simulator settles a push challenge: credentials, challenge, outcome.
    SimulateChallenge(String, String, Outcome),
}

operation_ids! {
    Route,
    Self::Login(Profile::PaymentRun) => "weavr.login.create",
    Self::Logout(Profile::PaymentRun) => "weavr.login.logout",
    Self::Enrol(Profile::PaymentRun, _) => "weavr.factor.enrol",
    Self::VerifyEnrolment(Profile::PaymentRun, _) => "weavr.factor.verify",
    Self::IssueStepUp(Profile::PaymentRun, _) => "weavr.stepup.issue",
    Self::VerifyStepUp(Profile::PaymentRun, _) => "weavr.stepup.verify",
    Self::CreatePaymentRun => "weavr.payment_run.create",
    Self::GetPaymentRun(_) => "weavr.payment_run.get",
    Self::ConfirmPaymentRun(_) => "weavr.payment_run.confirm",
    Self::LinkedAccounts => "weavr.linked_account.list",
    Self::IssuePaymentRunSca(..) => "weavr.payment_run_sca.issue",
    Self::VerifyPaymentRunSca(..) => "weavr.payment_run_sca.verify",
    Self::Login(Profile::Multi) => "weavr.multi_login.create",
    Self::Logout(Profile::Multi) => "weavr.multi_login.logout",
    Self::ListFactors => "weavr.multi_factor.list",
    Self::Enrol(Profile::Multi, _) => "weavr.multi_factor.enrol",
    Self::VerifyEnrolment(Profile::Multi, _) => "weavr.multi_factor.verify",
    Self::IssueStepUp(Profile::Multi, _) => "weavr.multi_stepup.issue",
    Self::VerifyStepUp(Profile::Multi, _) => "weavr.multi_stepup.verify",
    Self::AccessToken => "weavr.multi_access_token.create",
    Self::ManagedAccounts => "weavr.multi_managed_account.list",
    Self::ListPaymentRuns => "weavr.payment_run.list",
    Self::CreateUser => "weavr.user.create",
    Self::ListUsers => "weavr.user.list",
    Self::GetBuyer => "weavr.buyer.get",
    Self::UpdateBuyer => "weavr.buyer.update",
    Self::IssueStepUpPush(_) => "weavr.multi_stepup_push.issue",
    Self::CreateTransfer(Kind::Send) => "weavr.multi_send.create",
    Self::ListTransfers(Kind::Send) => "weavr.multi_send.list",
    Self::CancelTransfer(Kind::Send, _) => "weavr.multi_send.cancel",
    Self::GetTransfer(Kind::Send, _) => "weavr.multi_send.get",
    Self::IssueTxOtp(Kind::Send, ..) => "weavr.multi_send_otp.issue",
    Self::VerifyTxOtp(Kind::Send, ..) => "weavr.multi_send_otp.verify",
    Self::IssueTxPush(Kind::Send, ..) => "weavr.multi_send_push.issue",
    Self::CreateTransfer(Kind::Owt) => "weavr.multi_owt.create",
    Self::ListTransfers(Kind::Owt) => "weavr.multi_owt.list",
    Self::CancelTransfer(Kind::Owt, _) => "weavr.multi_owt.cancel",
    Self::GetTransfer(Kind::Owt, _) => "weavr.multi_owt.get",
    Self::IssueTxOtp(Kind::Owt, ..) => "weavr.multi_owt_otp.issue",
    Self::VerifyTxOtp(Kind::Owt, ..) => "weavr.multi_owt_otp.verify",
    Self::IssueTxPush(Kind::Owt, ..) => "weavr.multi_owt_push.issue",
    Self::IssueBatchOtp(_) => "weavr.multi_challenge_otp.issue",
    Self::VerifyBatchOtp(..) => "weavr.multi_challenge_otp.verify",
    Self::IssueBatchPush(_) => "weavr.multi_challenge_push.issue",
    Self::SimulateChallenge(_, _, Outcome::Approved) => "weavr.simulator_challenge.verify_success",
    Self::SimulateChallenge(_, _, Outcome::Rejected) => "weavr.simulator_challenge.verify_invalid",
    Self::SimulateChallenge(_, _, Outcome::Expired) => "weavr.simulator_challenge.verify_expired",
}

impl RouteTable for Route {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        match segments {
            ["payment-run", "v1", rest @ ..] => parse_profile(method, Profile::PaymentRun, rest)
                .or_else(|| parse_payment_run(method, rest))
                .unwrap_or(RouteMatch::NotFound),
            ["payment-run", "simulate", "v1", "payment_run_sca", id, "challenges", "otp", ch, tail @ ..] =>
            {
                let (id, ch) = ((*id).to_owned(), (*ch).to_owned());
                match tail {
                    [] => post(method, || Self::IssuePaymentRunSca(id, ch)),
                    ["verify"] => post(method, || Self::VerifyPaymentRunSca(id, ch)),
                    _ => RouteMatch::NotFound,
                }
            }
            ["multi", rest @ ..] => parse_profile(method, Profile::Multi, rest)
                .or_else(|| parse_multi(method, rest))
                .unwrap_or(RouteMatch::NotFound),
            ["simulate", "api", "factors", credentials, "challenges", challenge, verb] => {
                let outcome = match *verb {
                    "verify_success" => Outcome::Approved,
                    "verify_invalid" => Outcome::Rejected,
                    "verify_expired" => Outcome::Expired,
                    _ => return RouteMatch::NotFound,
                };
                let (c, id) = ((*credentials).to_owned(), (*challenge).to_owned());
                post(method, || Self::SimulateChallenge(c, id, outcome))
            }
            _ => RouteMatch::NotFound,
        }
    }
}

fn post(method: &Method, route: impl FnOnce() -> Route) -> RouteMatch<Route> {
    if method == Method::POST {
        RouteMatch::Found(route())
    } else {
        RouteMatch::MethodNotAllowed("POST")
    }
}

fn get(method: &Method, route: impl FnOnce() -> Route) -> RouteMatch<Route> {
    if method == Method::GET {
        RouteMatch::Found(route())
    } else {
        RouteMatch::MethodNotAllowed("GET")
    }
}

/// A path read with GET and changed with `write` (POST or PATCH).
fn read_write(method: &Method, write: &Method, read: Route, changed: Route) -> RouteMatch<Route> {
    if method == Method::GET {
        RouteMatch::Found(read)
    } else if method == write {
        RouteMatch::Found(changed)
    } else if write == Method::PATCH {
        RouteMatch::MethodNotAllowed("GET, PATCH")
    } else {
        RouteMatch::MethodNotAllowed("GET, POST")
    }
}

/// The login and SCA paths both products share.
fn parse_profile(method: &Method, p: Profile, rest: &[&str]) -> Option<RouteMatch<Route>> {
    Some(match rest {
        ["login_with_password"] => post(method, || Route::Login(p)),
        ["logout"] => post(method, || Route::Logout(p)),
        ["authentication_factors", "otp", ch] => post(method, || Route::Enrol(p, (*ch).to_owned())),
        ["authentication_factors", "otp", ch, "verify"] => {
            post(method, || Route::VerifyEnrolment(p, (*ch).to_owned()))
        }
        ["stepup", "challenges", "otp", ch] => {
            post(method, || Route::IssueStepUp(p, (*ch).to_owned()))
        }
        ["stepup", "challenges", "otp", ch, "verify"] => {
            post(method, || Route::VerifyStepUp(p, (*ch).to_owned()))
        }
        ["stepup", "challenges", "push", ch] if p == Profile::Multi => {
            post(method, || Route::IssueStepUpPush((*ch).to_owned()))
        }
        _ => return None,
    })
}

fn parse_payment_run(method: &Method, rest: &[&str]) -> Option<RouteMatch<Route>> {
    Some(match rest {
        ["payment_runs"] => read_write(
            method,
            &Method::POST,
            Route::ListPaymentRuns,
            Route::CreatePaymentRun,
        ),
        ["users"] => read_write(method, &Method::POST, Route::ListUsers, Route::CreateUser),
        ["buyers"] => read_write(method, &Method::PATCH, Route::GetBuyer, Route::UpdateBuyer),
        ["payment_runs", id] => get(method, || Route::GetPaymentRun((*id).to_owned())),
        ["payment_runs", id, "confirm"] => {
            post(method, || Route::ConfirmPaymentRun((*id).to_owned()))
        }
        ["linked_accounts"] => get(method, || Route::LinkedAccounts),
        _ => return None,
    })
}

fn parse_multi(method: &Method, rest: &[&str]) -> Option<RouteMatch<Route>> {
    Some(match rest {
        ["authentication_factors"] => get(method, || Route::ListFactors),
        ["access_token"] => post(method, || Route::AccessToken),
        ["managed_accounts"] => get(method, || Route::ManagedAccounts),
        ["challenges", "otp", ch] => post(method, || Route::IssueBatchOtp((*ch).to_owned())),
        ["challenges", "push", ch] => post(method, || Route::IssueBatchPush((*ch).to_owned())),
        ["challenges", id, "otp", ch, "verify"] => post(method, || {
            Route::VerifyBatchOtp((*id).to_owned(), (*ch).to_owned())
        }),
        [kind, tail @ ..] => {
            let kind = Kind::parse(kind)?;
            parse_transfer(method, kind, tail)?
        }
        _ => return None,
    })
}

/// `/sends/...` and `/outgoing_wire_transfers/...`.
fn parse_transfer(method: &Method, kind: Kind, tail: &[&str]) -> Option<RouteMatch<Route>> {
    let owned = |s: &&str| (*s).to_owned();
    Some(match tail {
        [] => read_write(
            method,
            &Method::POST,
            Route::ListTransfers(kind),
            Route::CreateTransfer(kind),
        ),
        [id] => get(method, || Route::GetTransfer(kind, owned(id))),
        [id, "cancel"] => post(method, || Route::CancelTransfer(kind, owned(id))),
        [id, "challenges", "otp", ch] => {
            post(method, || Route::IssueTxOtp(kind, owned(id), owned(ch)))
        }
        [id, "challenges", "otp", ch, "verify"] => {
            post(method, || Route::VerifyTxOtp(kind, owned(id), owned(ch)))
        }
        [id, "challenges", "push", ch] => {
            post(method, || Route::IssueTxPush(kind, owned(id), owned(ch)))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Operation;

    fn parse(method: Method, path: &str) -> RouteMatch<Route> {
        crate::providers::parse_path(Route::parse, method, path)
    }

    #[test]
    fn both_products_route_to_their_profile() {
        let cases = [
            (
                "/payment-run/v1/login_with_password",
                Route::Login(Profile::PaymentRun),
            ),
            ("/multi/login_with_password", Route::Login(Profile::Multi)),
            (
                "/payment-run/v1/stepup/challenges/otp/SMS/verify",
                Route::VerifyStepUp(Profile::PaymentRun, "SMS".into()),
            ),
            (
                "/multi/stepup/challenges/otp/SMS",
                Route::IssueStepUp(Profile::Multi, "SMS".into()),
            ),
            (
                "/payment-run/v1/payment_runs/abc/confirm",
                Route::ConfirmPaymentRun("abc".into()),
            ),
            (
                "/payment-run/simulate/v1/payment_run_sca/abc/challenges/otp/SMS/verify",
                Route::VerifyPaymentRunSca("abc".into(), "SMS".into()),
            ),
            ("/multi/access_token", Route::AccessToken),
        ];
        for (path, want) in cases {
            match parse(Method::POST, path) {
                RouteMatch::Found(route) => assert_eq!(route, want, "{path}"),
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(matches!(
            parse(Method::GET, "/payment-run/v1/linked_accounts"),
            RouteMatch::Found(Route::LinkedAccounts)
        ));
    }

    #[test]
    fn products_keep_their_own_paths() {
        assert!(matches!(
            parse(Method::GET, "/multi/linked_accounts"),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            parse(Method::POST, "/payment-run/v1/access_token"),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            parse(Method::GET, "/payment-run/v1/logout"),
            RouteMatch::MethodNotAllowed("POST")
        ));
    }

    #[test]
    fn every_route_has_a_distinct_operation() {
        let mut seen = std::collections::HashSet::new();
        let routes = [
            Route::Login(Profile::PaymentRun),
            Route::Login(Profile::Multi),
            Route::ListFactors,
            Route::AccessToken,
            Route::ManagedAccounts,
            Route::LinkedAccounts,
        ];
        for route in routes {
            assert!(seen.insert(route.operation()));
        }
    }
}
