//! End-to-end tests: signed requests through the router `switchboard serve` runs, jobs through
//! the worker, answers to a fake Slack. One test binary (one link) with a module per area.

mod admin;
mod bad_input;
mod commands;
mod connect;
mod crm;
mod crm_access;
mod crm_connect;
mod crm_deals;
mod crm_note;
mod crm_salesforce;
mod crm_task;
mod dead_letter;
mod demo;
mod events;
mod failures;
mod followup;
mod helpers;
mod home;
mod isolation;
mod lifecycle;
mod mention;
mod oauth;
mod options;
mod picker;
mod rotation;
mod webhooks;
mod worker;
