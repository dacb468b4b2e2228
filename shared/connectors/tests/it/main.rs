//! The clients against the fakes (`infra/fakes`): one test binary, a module per provider.

mod anthropic;
mod crm_oauth;
mod crm_support;
mod crms;
mod crono;
mod fathom;
mod flow;
mod google;
mod hubspot;
mod pipedrive;
mod salesforce;
mod support;
