//! The two shapes every ISUP field takes: a code (one value of a table in Q.763/Q.850) and an
//! indicator octet (bit fields at fixed masks). Both keep every bit they were given.

/// A code table as an enum with the standard's values plus `Unknown(u8)` for values the table
/// does not name (spare, reserved, national use), so that no value is ever lost. Serializes as
/// the value's name, or as its number when it has none. Equality is by code.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this table does not name, kept as received.
            Unknown(u8),
        }

        impl $name {
            /// Every value the table names.
            pub const NAMED: &'static [$name] = &[$($name::$variant),*];

            /// The value of a code.
            pub const fn from_code(code: u8) -> Self {
                match code {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }

            /// The code on the wire.
            pub const fn code(self) -> u8 {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(code) => code,
                }
            }

            /// The value's name as it appears in JSON, if the table names it.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )*
                    $name::Unknown(_) => None,
                }
            }
        }

        impl PartialEq for $name {
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
            fn from(code: u8) -> Self {
                $name::from_code(code)
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.code()
            }
        }

        impl $crate::isup::bits::Field for $name {
            #[inline]
            fn from_bits(v: u8) -> Self {
                $name::from_code(v)
            }
            #[inline]
            fn to_bits(self) -> u8 {
                self.code()
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

/// An indicator octet (or two, least significant first as on the wire: bit A is bit 0, bit P
/// bit 15) as a newtype over its raw value, with a getter and a `with_` builder per field. The
/// raw value is the state, so spare and reserved bits survive untouched. Serializes as a map of
/// its fields; fields named `spare…` or `reserved…` appear only when not zero.
macro_rules! bit_fields {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($repr:ty) {
            $( $(#[$fmeta:meta])* $field:ident, $with:ident: $fty:ty = $mask:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        $vis struct $name(pub $repr);

        impl $name {
            $(
                $(#[$fmeta])*
                #[inline]
                pub fn $field(&self) -> $fty {
                    let mask: $repr = $mask;
                    <$fty as $crate::isup::bits::Field>::from_bits(
                        ((self.0 & mask) >> mask.trailing_zeros()) as u8,
                    )
                }

                #[doc = concat!("The same value with `", stringify!($field), "` set (bits outside the field's mask are cut off).")]
                #[inline]
                #[must_use]
                pub fn $with(mut self, v: $fty) -> Self {
                    let mask: $repr = $mask;
                    let bits = <$repr>::from(<$fty as $crate::isup::bits::Field>::to_bits(v));
                    self.0 = (self.0 & !mask) | ((bits << mask.trailing_zeros()) & mask);
                    self
                }
            )*
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $(
                    let mask: $repr = $mask;
                    let name = stringify!($field);
                    let hidden = (name.starts_with("spare") || name.starts_with("reserved"))
                        && self.0 & mask == 0;
                    if !hidden {
                        m.serialize_entry(name, &self.$field())?;
                    }
                )*
                m.end()
            }
        }
    };
}
