//! Codat's behaviour for the company operations: list (with Codat's paging,
//! `query`, `orderBy` and `tags`), create and get. A company is answered
//! with its connections, the same ones the connections endpoints serve.
// Handlers return the error response itself, as in `handlers.rs`.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::answers::{error, json_response, malformed_query, no_company};
use super::contract::Call;
use super::listing;
use super::parameters::{self as parameter, company_id};
use super::query_language::{Operator, Query};
use super::state::{MockCompany, State};
use crate::CompanyId;

/// The document's schema of a company, whose properties a query names.
const COMPANY_SCHEMA: &str = "Company";

pub(in crate::mock) fn list_companies(
    state: &mut State,
    call: &Call<'_>,
    _: &[u8],
) -> Result<Response, Response> {
    let (page, page_size) = listing::page_of(call);
    let fields = state.contract.properties(COMPANY_SCHEMA);
    let filter = listing::filter(call, parameter::QUERY, fields, COMPANY_SCHEMA)?;
    let tags = match call.value(parameter::TAGS).map(tags_filter) {
        None => None,
        Some(Ok(tags)) => Some(tags),
        Some(Err(why)) => return Err(malformed_query("Malformed query.", &why)),
    };
    let (field, descending) = match call.value(parameter::ORDER_BY) {
        None => ("created", false),
        Some(text) => match text.strip_prefix('-') {
            Some(field) => (field, true),
            None => (text, false),
        },
    };
    if !["created", "name", "id", "lastSync"].contains(&field) {
        return Err(listing::unresolved(field, "orderBy", COMPANY_SCHEMA));
    }
    let mut matching: Vec<(String, Value)> = state
        .companies
        .iter()
        .filter(|(_, company)| {
            tags.as_ref()
                .is_none_or(|tags| tags.matches(&serde_json::json!(company.tags)))
        })
        .map(|(id, company)| state.company_json(*id, company))
        .filter(|json| filter.as_ref().is_none_or(|query| query.matches(json)))
        .map(|json| (sort_key(&json, field), json))
        .collect();
    matching.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1["id"].as_str().cmp(&b.1["id"].as_str()))
    });
    if descending {
        matching.reverse();
    }
    let companies: Vec<Value> = matching.into_iter().map(|(_, json)| json).collect();
    Ok(listing::page_answer(call, &companies, page, page_size))
}

/// What a company is ordered by: the field's text (dates are written in one
/// form, so their text orders as they do).
fn sort_key(company: &Value, field: &str) -> String {
    company[field].as_str().unwrap_or_default().to_owned()
}

/// A `tags` filter, in the part of Codat's query language Codat documents
/// for it: `=`, `!=` and `~` (contains) on a tag, joined by `&&` or `||`.
fn tags_filter(text: &str) -> Result<Query, String> {
    let query = Query::parse(text)?;
    fn check(query: &Query) -> Result<(), String> {
        match query {
            Query::All(parts) | Query::Any(parts) => parts.iter().try_for_each(check),
            Query::Clause { operator, path, .. } => match operator {
                Operator::Equals | Operator::NotEquals | Operator::Contains => Ok(()),
                _ => Err(format!(
                    "tags: {} takes only =, != and ~ (contains)",
                    path.join(".")
                )),
            },
        }
    }
    check(&query)?;
    Ok(query)
}

/// The body of `create-company`, which the contract has checked.
#[derive(Deserialize)]
struct NewCompany {
    name: String,
    description: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

pub(in crate::mock) fn create_company(
    state: &mut State,
    _: &Call<'_>,
    body: &[u8],
) -> Result<Response, Response> {
    let new: NewCompany = serde_json::from_slice(body).map_err(|why| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("The request made is not valid: {why}"),
        )
    })?;
    let id = CompanyId::from_uuid(uuid::Uuid::new_v4());
    let mut company = MockCompany::named(new.name);
    company.description = new.description;
    company.tags = new.tags;
    let answer = json_response(&state.company_json(id, &company));
    state.companies.insert(id, company);
    state.companies_created += 1;
    Ok(answer)
}

pub(in crate::mock) fn get_company(
    state: &mut State,
    call: &Call<'_>,
    _: &[u8],
) -> Result<Response, Response> {
    let text = call.value(parameter::COMPANY).unwrap_or_default();
    let id = company_id(text)?;
    let company = state.companies.get(&id).ok_or_else(|| no_company(text))?;
    Ok(json_response(&state.company_json(id, company)))
}
