//! A SaaS connection's dataset as the graph sees it (Fides' `merge_datasets`): each endpoint's
//! collection gains one field per param of its read requests — identity params seed it,
//! reference params carry the edge to the upstream field (an external reference is resolved
//! from the connection's secrets) — and takes `after`, `erase_after`, `skip_processing` and
//! `grouped_inputs` from the config. An endpoint with a delete but no read takes the delete's
//! params instead, the first of them as its primary key.

use connectors::saas::SaasConfig;
use connectors::saas::config::{Reference as ParamReference, SaasRequest};
use serde_json::Value;

use super::model::{Dataset, Field, FieldMeta, Reference};

fn field_named<'a>(fields: &'a mut Vec<Field>, name: &str) -> &'a mut Field {
    let position = fields.iter().position(|f| f.name == name).unwrap_or_else(|| {
        fields.push(Field {
            name: name.to_owned(),
            data_categories: None,
            fields: None,
            fides_meta: None,
            other: serde_json::Map::new(),
        });
        fields.len() - 1
    });
    &mut fields[position]
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

/// Merges `config` into `dataset` (whose key must be the config's `fides_key`; other datasets
/// are left alone). `secrets` resolve external references. `Err` names what is missing.
pub(crate) fn merge(dataset: &mut Dataset, config: &SaasConfig, secrets: &Value) -> Result<(), String> {
    if dataset.fides_key != config.fides_key {
        return Ok(());
    }
    for endpoint in &config.endpoints {
        let Some(collection) = dataset.collections.iter_mut().find(|c| c.name == endpoint.name) else {
            continue;
        };
        let meta = collection.fides_meta.get_or_insert_with(|| Value::Object(serde_json::Map::new()));
        let Some(meta) = meta.as_object_mut() else { continue };
        if endpoint.skip_processing {
            meta.insert("skip_processing".to_owned(), Value::Bool(true));
        }
        if !endpoint.after.is_empty() {
            meta.insert("after".to_owned(), strings(&endpoint.after));
        }
        if !endpoint.erase_after.is_empty() {
            meta.insert("erase_after".to_owned(), strings(&endpoint.erase_after));
        }
        let (requests, delete_only): (Vec<&SaasRequest>, bool) =
            match (&endpoint.requests.read, &endpoint.requests.delete) {
                (Some(read), _) => (read.items(), false),
                (None, Some(delete)) => (vec![delete], true),
                (None, None) => (Vec::new(), false),
            };
        if let Some(grouped) = requests.first().map(|r| &r.grouped_inputs).filter(|g| !g.is_empty()) {
            meta.insert("grouped_inputs".to_owned(), strings(grouped));
        }
        let mut first = true;
        for request in requests {
            for param in &request.param_values {
                if param.connector_param.is_some() {
                    continue;
                }
                let field = field_named(&mut collection.fields, &param.name);
                let field_meta = field.fides_meta.get_or_insert_with(FieldMeta::default);
                if delete_only && first {
                    field_meta.primary_key = Some(true);
                }
                first = false;
                if let Some(identity) = &param.identity {
                    field_meta.identity = Some(identity.clone());
                }
                for reference in param.references.iter().flatten() {
                    let reference = match reference {
                        ParamReference::Field(field) => Reference {
                            dataset: field.dataset.clone(),
                            field: field.field.clone(),
                            direction: Some("from".to_owned()),
                        },
                        ParamReference::External(name) => {
                            let given = secrets.get(name).and_then(Value::as_object).ok_or_else(|| {
                                format!("External dataset reference with provided name {name} not found in connector's secrets.")
                            })?;
                            let text =
                                |key: &str| given.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
                            Reference {
                                dataset: text("dataset"),
                                field: text("field"),
                                direction: Some("from".to_owned()),
                            }
                        }
                    };
                    let references = field_meta.references.get_or_insert_with(Vec::new);
                    if !references.contains(&reference) {
                        references.push(reference);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe() -> (SaasConfig, Dataset) {
        let (config, dataset) = connectors::saas::templates::find("stripe").unwrap().instantiate("stripe_1").unwrap();
        let file: super::super::DatasetFile = serde_norway::from_str(&dataset).unwrap();
        (config, file.dataset.into_iter().next().unwrap())
    }

    #[test]
    fn params_become_identity_fields_and_references_from_upstream() {
        let (config, mut dataset) = stripe();
        merge(&mut dataset, &config, &Value::Null).unwrap();
        let collection = |name: &str| dataset.collections.iter().find(|c| c.name == name).unwrap();
        let meta =
            |c: &str, f: &str| collection(c).fields.iter().find(|x| x.name == f).unwrap().fides_meta.clone().unwrap();
        // stripe_config.yml: customer is read by `email: identity email`.
        assert_eq!(meta("customer", "email").identity.as_deref(), Some("email"));
        // charge is read by `customer_id` from `stripe_1.customer.id`, a field the dataset lacks.
        let references = meta("charge", "customer_id").references.unwrap();
        assert_eq!(
            references,
            vec![Reference { dataset: "stripe_1".into(), field: "customer.id".into(), direction: Some("from".into()) }]
        );
        // Merging twice changes nothing more.
        let once = dataset.clone();
        merge(&mut dataset, &config, &Value::Null).unwrap();
        assert_eq!(dataset, once);
    }

    #[test]
    fn external_references_come_from_the_secrets() {
        let (config, mut dataset) = connectors::saas::templates::find("braintree")
            .map(|t| {
                let (c, d) = t.instantiate("bt").unwrap();
                let file: super::super::DatasetFile = serde_norway::from_str(&d).unwrap();
                (c, file.dataset.into_iter().next().unwrap())
            })
            .unwrap();
        let error = merge(&mut dataset.clone(), &config, &serde_json::json!({})).unwrap_err();
        // braintree_config.yml declares braintree_user_id but its read names braintree_customer_id.
        assert_eq!(
            error,
            "External dataset reference with provided name braintree_customer_id not found in connector's secrets."
        );
        let secrets = serde_json::json!({
            "braintree_customer_id": {"dataset": "shop", "field": "customers.braintree_id", "direction": "from"}
        });
        merge(&mut dataset, &config, &secrets).unwrap();
        let found =
            dataset.collections.iter().flat_map(|c| &c.fields).any(|f| {
                f.fides_meta.as_ref().and_then(|m| m.references.as_ref()).is_some_and(|r| r[0].dataset == "shop")
            });
        assert!(found);
    }
}
