//! The code table macro shared by every codec of the crate.

/// A code table as an enum with the standard's values plus `Unknown(u8)` for values the table
/// does not name (spare, reserved, national use, or simply not known here), so that no value is
/// ever lost. Gives:
///
/// - `from_code(u8)`, `code()`, `name()` (the standard's name or acronym, `None` when unknown),
///   `ALL` (every named value, in table order), all `const`;
/// - `From<u8>` and `From<T> for u8`, and [`crate::wire::CodeTable`];
/// - equality and hashing by code (`Unknown(1)` equals the value named 1);
/// - `Serialize` as the name, or as the number when the table has none.
///
/// ```text
/// code_enum! {
///     /// Doc of the table.
///     pub enum Example {
///         First = 0x01 => "FIRST",
///         Second = 0x02 => "SECOND",
///     }
/// }
/// ```
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this table does not name, kept as received.
            Unknown(u8),
        }

        #[allow(dead_code)]
        impl $name {
            /// Every value the table names, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The value of a code (named when the table names it).
            #[inline]
            pub const fn from_code(code: u8) -> Self {
                match code {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }

            /// The code on the wire.
            #[inline]
            pub const fn code(self) -> u8 {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(code) => code,
                }
            }

            /// The standard's name (or acronym) of the value, as it appears in JSON, if the
            /// table names it.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )*
                    $name::Unknown(_) => None,
                }
            }
        }

        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.code() == other.code()
            }
        }

        impl Eq for $name {}

        impl core::hash::Hash for $name {
            fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
                self.code().hash(state)
            }
        }

        impl From<u8> for $name {
            #[inline]
            fn from(code: u8) -> Self {
                $name::from_code(code)
            }
        }

        impl From<$name> for u8 {
            #[inline]
            fn from(v: $name) -> u8 {
                v.code()
            }
        }

        impl $crate::wire::CodeTable for $name {
            #[inline]
            fn name(self) -> Option<&'static str> {
                $name::name(self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(n) => s.serialize_str(n),
                    None => s.serialize_u8(self.code()),
                }
            }
        }
    };
}
