//! Weavr's routes below `/weavr`: the Payment Run plug-in under
//! `/payment-run/v1/...` (and its simulator under `/payment-run/simulate/v1/...`)
//! and the Multi API under `/multi/...`.

use hyper::Method;

use crate::providers::{RouteMatch, RouteTable};

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
}

/// Every Weavr operation id, as scenario rules name them.
pub(crate) const OPERATIONS: &[&str] = &[
    "weavr.login.create",
    "weavr.login.logout",
    "weavr.factor.enrol",
    "weavr.factor.verify",
    "weavr.stepup.issue",
    "weavr.stepup.verify",
    "weavr.payment_run.create",
    "weavr.payment_run.get",
    "weavr.payment_run.confirm",
    "weavr.linked_account.list",
    "weavr.payment_run_sca.issue",
    "weavr.payment_run_sca.verify",
    "weavr.multi_login.create",
    "weavr.multi_login.logout",
    "weavr.multi_factor.list",
    "weavr.multi_factor.enrol",
    "weavr.multi_factor.verify",
    "weavr.multi_stepup.issue",
    "weavr.multi_stepup.verify",
    "weavr.multi_access_token.create",
    "weavr.multi_managed_account.list",
];

impl RouteTable for Route {
    fn operation(&self) -> &'static str {
        use Profile::{Multi, PaymentRun};
        let i = match self {
            Self::Login(PaymentRun) => 0,
            Self::Logout(PaymentRun) => 1,
            Self::Enrol(PaymentRun, _) => 2,
            Self::VerifyEnrolment(PaymentRun, _) => 3,
            Self::IssueStepUp(PaymentRun, _) => 4,
            Self::VerifyStepUp(PaymentRun, _) => 5,
            Self::CreatePaymentRun => 6,
            Self::GetPaymentRun(_) => 7,
            Self::ConfirmPaymentRun(_) => 8,
            Self::LinkedAccounts => 9,
            Self::IssuePaymentRunSca(..) => 10,
            Self::VerifyPaymentRunSca(..) => 11,
            Self::Login(Multi) => 12,
            Self::Logout(Multi) => 13,
            Self::ListFactors => 14,
            Self::Enrol(Multi, _) => 15,
            Self::VerifyEnrolment(Multi, _) => 16,
            Self::IssueStepUp(Multi, _) => 17,
            Self::VerifyStepUp(Multi, _) => 18,
            Self::AccessToken => 19,
            Self::ManagedAccounts => 20,
        };
        OPERATIONS[i]
    }

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
        _ => return None,
    })
}

fn parse_payment_run(method: &Method, rest: &[&str]) -> Option<RouteMatch<Route>> {
    Some(match rest {
        ["payment_runs"] => post(method, || Route::CreatePaymentRun),
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
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
