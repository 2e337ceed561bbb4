//! Weavr's routes below `/weavr`: the Payment Run plug-in under
//! `/payment-run/v1/...` (and its simulator under `/payment-run/simulate/v1/...`)
//! and the Multi API under `/multi/...`.

use hyper::Method;

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
