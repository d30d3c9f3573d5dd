//! Record ids: a readable prefix and a time-ordered UUID (version 7), made in one place
//! ([`new_id`]) for every table. Time order keeps B-tree inserts at the end of the index and
//! lists in creation order; the prefix says what an id names in logs and URLs (`pri_…` for a
//! privacy request, as the spec writes it).

/// A new id `<prefix>_<uuid v7>`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", new_uuid())
}

/// A new bare time-ordered UUID, for records whose contract shows plain UUIDs (notices, RoPA).
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Declares an id newtype with its prefix: `id_type!(RequestId, "pri")`.
#[macro_export]
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            $crate::__private::serde::Serialize, $crate::__private::serde::Deserialize,
            $crate::__private::diesel::expression::AsExpression, $crate::__private::diesel::deserialize::FromSqlRow,
        )]
        #[serde(crate = "db::__private::serde", transparent)]
        #[diesel(sql_type = $crate::__private::diesel::sql_types::Text)]
        pub struct $name(pub String);

        $crate::__id_sql!($name, $crate::__private::diesel::pg::Pg);
        $crate::__id_sql!($name, $crate::__private::diesel::sqlite::Sqlite);
        $crate::__id_sql!($name, $crate::MultiBackend);

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl $name {
            /// The prefix of these ids.
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered id.
            pub fn new() -> $name {
                $name($crate::id::new_id($prefix))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The diesel `ToSql`/`FromSql` of an id newtype for one backend; part of [`id_type!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __id_sql {
    ($name:ident, $backend:ty) => {
        impl $crate::__private::diesel::serialize::ToSql<$crate::__private::diesel::sql_types::Text, $backend>
            for $name
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::__private::diesel::serialize::Output<'b, '_, $backend>,
            ) -> $crate::__private::diesel::serialize::Result {
                <str as $crate::__private::diesel::serialize::ToSql<
                    $crate::__private::diesel::sql_types::Text,
                    $backend,
                >>::to_sql(self.0.as_str(), out)
            }
        }

        impl $crate::__private::diesel::deserialize::FromSql<$crate::__private::diesel::sql_types::Text, $backend>
            for $name
        {
            fn from_sql(
                bytes: <$backend as $crate::__private::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::__private::diesel::deserialize::Result<Self> {
                <String as $crate::__private::diesel::deserialize::FromSql<
                    $crate::__private::diesel::sql_types::Text,
                    $backend,
                >>::from_sql(bytes)
                .map($name)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::id_type!(
        /// A test id.
        ThingId,
        "thg"
    );

    #[test]
    fn id_newtypes_carry_their_prefix_and_are_plain_text_on_the_wire() {
        let id = ThingId::new();
        assert!(id.starts_with("thg_") && id.len() == 4 + 36, "{id}");
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::Value::String(id.to_string()));
        let back: ThingId = serde_json::from_value(serde_json::json!("thg_x")).unwrap();
        assert_eq!(back, "thg_x");
    }

    #[test]
    fn ids_carry_their_prefix_and_sort_by_creation() {
        let first = new_id("pri");
        let second = new_id("pri");
        assert!(first.starts_with("pri_") && first.len() == 4 + 36, "{first}");
        assert!(first < second, "time-ordered: {first} < {second}");
        assert_eq!(uuid::Uuid::parse_str(&first[4..]).map(|u| u.get_version_num()).ok(), Some(7));
    }
}
