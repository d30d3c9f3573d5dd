//! The connector templates shipped inside the binary: nine Fides SaaS connectors (config and
//! dataset, unmodified, Apache-2.0; `crates/connectors/saas/NOTICE`). Both files carry the
//! placeholder key `<instance_fides_key>`, replaced by the instance key when a connection is
//! made from them.

use validation::{Problem, loc};

use super::SaasConfig;

/// A connector template: its config and dataset as shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Connector type (`stripe`).
    pub kind: &'static str,
    /// The config file (`saas_config:` root).
    pub config: &'static str,
    /// The dataset file (`dataset:` root).
    pub dataset: &'static str,
}

/// The placeholder both files of a template carry for the instance key.
pub const INSTANCE_KEY: &str = "<instance_fides_key>";

macro_rules! template {
    ($kind:literal) => {
        Template {
            kind: $kind,
            config: include_str!(concat!("../../saas/config/", $kind, "_config.yml")),
            dataset: include_str!(concat!("../../saas/dataset/", $kind, "_dataset.yml")),
        }
    };
}

/// Every shipped template, by type.
pub static TEMPLATES: [Template; 9] = [
    template!("auth0"),
    template!("braintree"),
    template!("gorgias"),
    template!("hubspot"),
    template!("mailchimp"),
    template!("segment"),
    template!("shopify"),
    template!("stripe"),
    template!("surveymonkey"),
];

/// The template of type `kind`.
pub fn find(kind: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.kind == kind)
}

impl Template {
    /// The config (parsed) and the dataset (YAML text) for an instance named `key`: every
    /// `<instance_fides_key>` of both files replaced by it, as Fides does, before parsing.
    pub fn instantiate(&self, key: &str) -> Result<(SaasConfig, String), Vec<Problem>> {
        // A FidesKey without `<` and `>`: the key is pasted into YAML and must not read as a placeholder.
        if !validation::text::is_fides_key(key) || key.contains(['<', '>']) {
            return Err(vec![Problem::new(
                loc!["instance_key"],
                "FidesKeys must only contain alphanumeric characters, '.', '_' or '-'.",
            )]);
        }
        let config = super::parse(&self.config.replace(INSTANCE_KEY, key))?;
        Ok((config, self.dataset.replace(INSTANCE_KEY, key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_template_reads_and_keys_its_dataset_with_the_instance() {
        for template in &TEMPLATES {
            assert!(template.config.contains("fides_key: <instance_fides_key>"), "{}", template.kind);
            assert!(template.dataset.contains("fides_key: <instance_fides_key>"), "{}", template.kind);
            let (config, dataset) =
                template.instantiate("acme_1").unwrap_or_else(|p| panic!("{}: {p:?}", template.kind));
            assert_eq!(config.kind, template.kind);
            assert_eq!(config.fides_key, "acme_1");
            assert!(!dataset.contains(INSTANCE_KEY));
            assert!(!config.endpoints.is_empty());
        }
        assert!(find("zendesk").is_none());
        assert!(find("stripe").unwrap().instantiate("bad key").is_err());
    }
}
