//! Text enums: a closed set of values stored as text, declared one way everywhere with
//! [`text_enum!`](crate::text_enum). Each gets serde (the wire text), utoipa (the wire values listed), diesel
//! `FromSql`/`ToSql` for `Text` on both backends (so row structs hold the enum itself), and
//! [`TextEnum`]. A stored value the code does not know fails the read as corrupt data
//! ([`crate::DbError::Corrupt`] through diesel's deserialization error), never a default.

/// What every [`text_enum!`](crate::text_enum) has.
pub trait TextEnum: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The enum's name, for messages.
    const NAME: &'static str;

    /// The stored and wire text.
    fn as_str(self) -> &'static str;

    /// Other texts read as the same value (`manual_webhook` for `manual_request`).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }

    /// The value whose text, or one of whose aliases, is `text`.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text || v.aliases().contains(&text))
    }

    /// The value whose text is `text`, or a [`crate::DbError::Corrupt`] naming it: for texts read
    /// back from storage, which only the code itself wrote.
    fn from_stored(text: &str) -> crate::Result<Self> {
        Self::parse(text).ok_or_else(|| crate::DbError::Corrupt(format!("unknown {} `{text}`", Self::NAME)))
    }
}

/// Declares a text enum (`#[derive(Default)]` before `enum` and `#[default]` on a variant give it
/// a default):
///
/// ```
/// db::text_enum! {
///     /// Where a job stands.
///     pub enum Stage {
///         /// Waiting.
///         Queued => "queued",
///         /// Done.
///         Done => "done",
///     }
/// }
/// use db::TextEnum;
/// assert_eq!(Stage::Queued.as_str(), "queued");
/// assert_eq!(serde_json::to_value(Stage::Done).unwrap(), "done");
/// assert_eq!(Stage::parse("done"), Some(Stage::Done));
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[doc = $doc:literal])*
        $(#[derive($($extra:path),+)])?
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal $(| $alias:literal)*,)+
        }
    ) => {
        $(#[doc = $doc])*
        $(#[derive($($extra),+)])?
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            $crate::__private::serde::Serialize, $crate::__private::serde::Deserialize,
            $crate::__private::diesel::expression::AsExpression, $crate::__private::diesel::deserialize::FromSqlRow,
        )]
        #[serde(crate = "db::__private::serde")]
        #[diesel(sql_type = $crate::__private::diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text $(, alias = $alias)*)] $variant,)+
        }

        impl $crate::TextEnum for $name {
            const ALL: &'static [$name] = &[$($name::$variant,)+];
            const NAME: &'static str = stringify!($name);

            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($alias),*],)+ }
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = <$name as $crate::TextEnum>::ALL;

            /// The stored and wire text.
            pub fn as_str(self) -> &'static str {
                $crate::TextEnum::as_str(self)
            }

            /// The value whose text (or an alias of it) is `text`.
            pub fn parse(text: &str) -> Option<$name> {
                <$name as $crate::TextEnum>::parse(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::utoipa::PartialSchema for $name {
            fn schema() -> $crate::__private::utoipa::openapi::RefOr<$crate::__private::utoipa::openapi::schema::Schema> {
                let description: Vec<&str> = vec![$($doc.trim()),*];
                $crate::__private::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type($crate::__private::utoipa::openapi::schema::Type::String)
                    .description((!description.is_empty()).then(|| description.join("\n")))
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl $crate::__private::utoipa::ToSchema for $name {}

        $crate::__text_enum_sql!($name, $crate::__private::diesel::pg::Pg);
        $crate::__text_enum_sql!($name, $crate::__private::diesel::sqlite::Sqlite);
        $crate::__text_enum_sql!($name, $crate::MultiBackend);
    };
}

/// The diesel `ToSql`/`FromSql` of a text enum for one backend; part of [`text_enum!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __text_enum_sql {
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
                >>::to_sql(self.as_str(), out)
            }
        }

        impl $crate::__private::diesel::deserialize::FromSql<$crate::__private::diesel::sql_types::Text, $backend>
            for $name
        {
            fn from_sql(
                bytes: <$backend as $crate::__private::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::__private::diesel::deserialize::Result<Self> {
                let text = <String as $crate::__private::diesel::deserialize::FromSql<
                    $crate::__private::diesel::sql_types::Text,
                    $backend,
                >>::from_sql(bytes)?;
                <$name as $crate::TextEnum>::from_stored(&text).map_err(Into::into)
            }
        }
    };
}

/// Reads a JSON column back: text the code itself wrote, so text that does not parse as `T` is a
/// [`crate::DbError::Corrupt`] naming `what`, never a default.
pub fn stored_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> crate::Result<T> {
    serde_json::from_str(text).map_err(|e| crate::DbError::Corrupt(format!("{what}: {e}")))
}
