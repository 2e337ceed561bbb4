//! Intergiro's routes below `/intergiro`, and their operation ids.

use hyper::Method;

use crate::providers::{operation_ids, RouteMatch, RouteTable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Login,
    Refresh,
    Pay,
    CardCredentials(String),
    ActivateCard(String),
    AccountTransactions(String),
    InitiateConsent(String),
    GetConsent(String),
    ConsentPage,
    SubmitConsentPage,
    CreateIndividual,
    GetIndividual(String),
    GetEvent(String),
    Onboard(String),
    OnboardingPage,
    SubmitOnboardingPage,
    Move,
    BankDetails(String),
    UpdateCard(String),
    CreatePaymentMethod(String),
    ListPaymentMethods(String),
    TokenizeApplePay(String),
}

operation_ids! {
    Route,
    Self::Login => "intergiro.auth.login",
    Self::Refresh => "intergiro.auth.refresh",
    Self::Pay => "intergiro.transaction.pay",
    Self::CardCredentials(_) => "intergiro.card.credentials",
    Self::ActivateCard(_) => "intergiro.card.activate",
    Self::AccountTransactions(_) => "intergiro.account.transactions",
    Self::InitiateConsent(_) => "intergiro.consent.initiate",
    Self::GetConsent(_) => "intergiro.consent.get",
    Self::ConsentPage => "intergiro.consent_page.view",
    Self::SubmitConsentPage => "intergiro.consent_page.submit",
    Self::CreateIndividual => "intergiro.individual.create",
    Self::GetIndividual(_) => "intergiro.individual.get",
    Self::GetEvent(_) => "intergiro.event.get",
    Self::Onboard(_) => "intergiro.individual.onboard",
    Self::OnboardingPage => "intergiro.onboarding_page.view",
    Self::SubmitOnboardingPage => "intergiro.onboarding_page.submit",
    Self::Move => "intergiro.transaction.move",
    Self::BankDetails(_) => "intergiro.account.bank_details",
    Self::UpdateCard(_) => "intergiro.card.update",
    Self::CreatePaymentMethod(_) => "intergiro.payment_method.create",
    Self::ListPaymentMethods(_) => "intergiro.payment_method.list",
    Self::TokenizeApplePay(_) => "intergiro.card.apple_pay_tokenize",
}

impl RouteTable for Route {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        use RouteMatch::{Found, MethodNotAllowed, NotFound};
        let own = |s: &&str| (*s).to_owned();
        match (segments, method.clone()) {
            (["v3", "auth", "login"], Method::POST) => Found(Self::Login),
            (["v3", "auth", "refresh"], Method::POST) => Found(Self::Refresh),
            (["v3", "auth", "login" | "refresh"], _) => MethodNotAllowed("POST"),
            (["v3", "transactions", "pay"], Method::POST) => Found(Self::Pay),
            (["v3", "transactions", "pay"], _) => MethodNotAllowed("POST"),
            (["v3", "transactions", "move"], Method::POST) => Found(Self::Move),
            (["v3", "transactions", "move"], _) => MethodNotAllowed("POST"),
            (["v3", "accounts", id, "bank_details"], Method::GET) => {
                Found(Self::BankDetails(own(id)))
            }
            (["v3", "accounts", _, "bank_details"], _) => MethodNotAllowed("GET"),
            (["v3", "cards", id], Method::PATCH) => Found(Self::UpdateCard(own(id))),
            (["v3", "cards", _], _) => MethodNotAllowed("PATCH"),
            (["v3", "cards", id, "credentials"], Method::GET) => {
                Found(Self::CardCredentials(own(id)))
            }
            (["v3", "cards", _, "credentials"], _) => MethodNotAllowed("GET"),
            (["v3", "cards", id, "activate"], Method::POST) => Found(Self::ActivateCard(own(id))),
            (["v3", "cards", _, "activate"], _) => MethodNotAllowed("POST"),
            (["v3", "accounts", id, "transactions"], Method::GET) => {
                Found(Self::AccountTransactions(own(id)))
            }
            (["v3", "accounts", _, "transactions"], _) => MethodNotAllowed("GET"),
            (["v3", "consents", id], Method::POST) => Found(Self::InitiateConsent(own(id))),
            (["v3", "consents", id], Method::GET) => Found(Self::GetConsent(own(id))),
            (["v3", "consents", _], _) => MethodNotAllowed("GET, POST"),
            (["sca", "consent"], Method::GET) => Found(Self::ConsentPage),
            (["sca", "consent"], Method::POST) => Found(Self::SubmitConsentPage),
            (["sca", "consent"], _) => MethodNotAllowed("GET, POST"),
            (["v3", "individuals"], Method::POST) => Found(Self::CreateIndividual),
            (["v3", "individuals"], _) => MethodNotAllowed("POST"),
            (["v3", "individuals", id], Method::GET) => Found(Self::GetIndividual(own(id))),
            (["v3", "events", id], Method::GET) => Found(Self::GetEvent(own(id))),
            (["v3", "events", _], _) => MethodNotAllowed("GET"),
            (["v3", "individuals", _], _) => MethodNotAllowed("GET"),
            (["v3", "individuals", id, "onboard"], Method::POST) => Found(Self::Onboard(own(id))),
            (["v3", "individuals", _, "onboard"], _) => MethodNotAllowed("POST"),
            (["v3", "individuals", id, "payment_methods"], Method::POST) => {
                Found(Self::CreatePaymentMethod(own(id)))
            }
            (["v3", "individuals", id, "payment_methods"], Method::GET) => {
                Found(Self::ListPaymentMethods(own(id)))
            }
            (["v3", "individuals", _, "payment_methods"], _) => MethodNotAllowed("GET, POST"),
            (["v3", "cards", id, "apple_pay", "tokenize"], Method::POST) => {
                Found(Self::TokenizeApplePay(own(id)))
            }
            (["v3", "cards", _, "apple_pay", "tokenize"], _) => MethodNotAllowed("POST"),
            (["onboarding"], Method::GET) => Found(Self::OnboardingPage),
            (["onboarding"], Method::POST) => Found(Self::SubmitOnboardingPage),
            (["onboarding"], _) => MethodNotAllowed("GET, POST"),
            _ => NotFound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse() {
        let parse = |m, p| crate::providers::parse_path(Route::parse, m, p);
        assert!(matches!(
            parse(Method::POST, "/v3/transactions/pay"),
            RouteMatch::Found(Route::Pay)
        ));
        assert!(matches!(
            parse(Method::GET, "/v3/cards/c1/credentials"),
            RouteMatch::Found(Route::CardCredentials(_))
        ));
        assert!(matches!(
            parse(Method::POST, "/sca/consent"),
            RouteMatch::Found(Route::SubmitConsentPage)
        ));
        assert!(matches!(
            parse(Method::DELETE, "/v3/consents/x"),
            RouteMatch::MethodNotAllowed("GET, POST")
        ));
        assert!(matches!(
            parse(Method::GET, "/v2/consents/x"),
            RouteMatch::NotFound
        ));
    }
}
