//! The integration tests: one binary, one in-process sandbox on port 0 per test,
//! driven over HTTP. Time moves with the sandbox clock, never with sleeps.

mod attacks;
mod cli;
mod control;
mod dashboard;
mod demo;
mod docs;
mod examples;
mod hardening;
mod hosts;
mod intergiro;
mod intergiro_onboarding;
mod intergiro_webhooks;
mod library;
mod limits;
mod readme;
mod report;

mod reproducible;
mod rules;
mod scenario;
mod security;
mod self_links;
mod server;
mod shine;
mod shine_reads;
mod solaris;
mod solaris_reference;
mod solaris_webhooks;
mod support;
mod tenants;
mod thredd;
mod thredd_delivery;
mod tls;
mod tls_support;
mod users;
mod weavr;
mod weavr_reference;
mod weavr_transactions;
mod webhooks;
