//! The indicator octets of ISUP (bit fields at fixed masks), which keep every bit they were
//! given. Code tables (one value of a table in Q.763/Q.850) use the crate's `code_enum!`.

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
