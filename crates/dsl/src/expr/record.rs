//! Record types: a value with known fields, each typed (a Kubernetes pod, a
//! Prometheus series, a SQL row), and what reading a path into a typed
//! value gives. A kind declares the shape of its results with them, so
//! `check` catches `pod.metadata.nmae` where the element of a loop, a
//! lambda's parameter or a computed value is read.

use super::print::key_text;
use super::types::Type;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::path::{Path, Segment};
use crate::source::Span;
use crate::suggest::{did_you_mean, is_misspelling, known_list};
use std::borrow::Cow;
use std::sync::Arc;

/// A value with known fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The name diagnostics and `runbook doc` print for it (`pod`,
    /// `series`), if it has one; a record without is printed field by field.
    pub name: Option<Cow<'static, str>>,
    /// The known fields, in the order they are printed.
    pub fields: Vec<(Cow<'static, str>, Type)>,
    /// What other fields there may be.
    pub rest: Rest,
}

/// The fields of a record beyond the known ones.
#[derive(Clone, Debug, PartialEq)]
pub enum Rest {
    /// None: reading another field is a `check` error.
    Closed,
    /// Others may exist, of any type (the `spec` of a Kubernetes object);
    /// one that is a close misspelling of a known field is still an error,
    /// since the known ones are the ones people mean.
    Open,
    /// Any key, each value of this type: a mapping such as labels
    /// (`map<string>`).
    Values(Type),
}

/// A field read from a value that has none: the segment of the path and
/// the type found there (the caller words the diagnostic).
#[derive(Clone, Debug, PartialEq)]
pub struct NoFields {
    pub at: usize,
    pub ty: Type,
}

impl NoFields {
    /// "this is a string, it has no fields", on the fields read.
    pub fn diagnostic(&self, path: &Path) -> Diagnostic {
        Diagnostic::error(
            Code::InvalidPath,
            format!("this is {}, it has no fields", self.ty.describe()),
        )
        .label(path.span_from(self.at), "no such field")
    }
}

impl Record {
    /// A record with only these fields.
    pub fn closed(name: Option<&'static str>, fields: Vec<(&'static str, Type)>) -> Record {
        Record::new(name, fields, Rest::Closed)
    }

    /// A record with these fields and maybe others.
    pub fn open(name: Option<&'static str>, fields: Vec<(&'static str, Type)>) -> Record {
        Record::new(name, fields, Rest::Open)
    }

    pub fn new(
        name: Option<&'static str>,
        fields: Vec<(&'static str, Type)>,
        rest: Rest,
    ) -> Record {
        Record {
            name: name.map(Cow::Borrowed),
            fields: fields
                .into_iter()
                .map(|(n, t)| (Cow::Borrowed(n), t))
                .collect(),
            rest,
        }
    }

    /// The record as a type.
    pub fn into_type(self) -> Type {
        Type::Record(Arc::new(self))
    }

    /// The type of a known field.
    pub fn field(&self, name: &str) -> Option<&Type> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// A mapping from any key to values of one type (`map<string>`).
    pub fn is_mapping_of(&self) -> Option<&Type> {
        match &self.rest {
            Rest::Values(ty) if self.fields.is_empty() => Some(ty),
            _ => None,
        }
    }

    /// The type of field `name`, or `None` when the record cannot have it.
    fn read(&self, name: &str) -> Option<Type> {
        if let Some(ty) = self.field(name) {
            return Some(ty.clone());
        }
        match &self.rest {
            Rest::Closed => None,
            Rest::Values(ty) => Some(ty.clone()),
            Rest::Open => {
                let mut known = self.fields.iter().map(|(n, _)| n.as_ref());
                match known.any(|k| is_misspelling(name, k)) {
                    true => None,
                    false => Some(Type::Any),
                }
            }
        }
    }
}

/// A mapping from any key to values of `ty`: `map<string>`.
pub fn map_of(ty: Type) -> Type {
    Record {
        name: None,
        fields: Vec::new(),
        rest: Rest::Values(ty),
    }
    .into_type()
}

/// The type of what `path` reads, from segment `from` on, in a value of
/// type `ty`: a record's field, a list's element (`[0]`), anything in an
/// untyped mapping or list. An unknown field of a record is reported here
/// (with its did-you-mean); reading into a scalar is returned as
/// [`NoFields`] for the caller to word.
pub fn read_path(
    ty: &Type,
    path: &Path,
    from: usize,
    diags: &mut Diagnostics,
) -> Result<Type, NoFields> {
    let mut ty = ty.clone();
    for at in from..path.segments.len() {
        let segment = &path.segments[at];
        ty = match (&ty, &segment.value) {
            (Type::Any | Type::Map, _) => return Ok(Type::Any),
            (Type::List(item), Segment::Index(_)) => (**item).clone(),
            (Type::List(_), _) => return Ok(Type::Any),
            (Type::Record(_), Segment::Index(_)) => return Ok(Type::Any),
            (Type::Record(record), Segment::Name(name) | Segment::Key(name)) => {
                match record.read(name) {
                    Some(field) => field,
                    None => {
                        let read = Path {
                            segments: path.segments[..at].to_vec(),
                            span: path.span,
                        };
                        let span = segment.span;
                        diags.push(unknown_field(record, &read.to_string(), span, name));
                        return Ok(Type::Any);
                    }
                }
            }
            (other, _) => {
                return Err(NoFields {
                    at,
                    ty: other.clone(),
                })
            }
        };
    }
    Ok(ty)
}

/// Like [`read_path`], with a scalar's missing fields reported in the
/// plain words most readers use.
pub fn read_path_or_report(
    ty: &Type,
    path: &Path,
    from: usize,
    help: Option<&str>,
    diags: &mut Diagnostics,
) -> Type {
    match read_path(ty, path, from, diags) {
        Ok(ty) => ty,
        Err(no_fields) => {
            let mut d = no_fields.diagnostic(path);
            if let Some(help) = help {
                d = d.help(help);
            }
            diags.push(d);
            Type::Any
        }
    }
}

/// The type of `base[KEY]` where `base` is a record: a string literal
/// key is read as a field (reported as [`read_path`] reports one, on the
/// key); a computed key gives the type of any value (`map<T>`: `T`).
pub fn index_type(
    record: &Record,
    base: &str,
    key: Option<(&str, Span)>,
    diags: &mut Diagnostics,
) -> Type {
    match key {
        Some((key, span)) => match record.read(key) {
            Some(ty) => ty,
            None => {
                diags.push(unknown_field(record, base, span, key));
                Type::Any
            }
        },
        None => match record.is_mapping_of() {
            Some(ty) => ty.clone(),
            None => Type::Any,
        },
    }
}

/// `read` (the path or expression read into) has no field `name`, at `span`.
fn unknown_field(record: &Record, read: &str, span: Span, name: &str) -> Diagnostic {
    let known = || record.fields.iter().map(|(n, _)| n.as_ref());
    let close = match record.rest {
        Rest::Open => known().find(|k| is_misspelling(name, k)),
        _ => did_you_mean(name, known()),
    };
    // Keys are shown as written in an expression: a key from a map literal
    // or a playbook's data may hold quotes, newlines or escapes.
    let shown: Vec<Cow<str>> = known().map(key_text).collect();
    let mut help = match close {
        Some(close) => format!("did you mean `{}`?", key_text(close)),
        None => known_list("field", shown.iter().map(|k| k.as_ref())).unwrap_or_default(),
    };
    let name = key_text(name);
    if record.rest == Rest::Open {
        help.push_str(&format!(
            " Fields not listed may exist, but `{name}` is too close to a listed one to be one of them."
        ));
    }
    Diagnostic::error(
        Code::UnknownRecordField,
        format!("`{read}` has no field `{name}`"),
    )
    .label(span, format!("not a field of `{}`", short(record)))
    .help(help)
}

/// The record's type, shortened for a label.
fn short(record: &Record) -> String {
    let text = Type::Record(Arc::new(record.clone())).to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(56).collect();
    format!("{cut}...}}")
}

/// `pod`, `map<string>`, `{name: string, "x-y": float, ...}`: every record
/// type is printed here, each key as a map literal writes it (quoted and
/// escaped unless a plain name), so a hostile key cannot break the line.
pub(super) fn write(record: &Record, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    if let Some(name) = &record.name {
        return f.write_str(name);
    }
    if let Some(values) = record.is_mapping_of() {
        return write!(f, "map<{values}>");
    }
    f.write_str("{")?;
    for (i, (name, ty)) in record.fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}: {ty}", key_text(name))?;
    }
    match &record.rest {
        Rest::Closed => {}
        Rest::Open | Rest::Values(_) if record.fields.is_empty() => f.write_str("...")?,
        Rest::Open | Rest::Values(_) => f.write_str(", ...")?,
    }
    f.write_str("}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Span, Spanned};

    fn path(names: &[&str]) -> Path {
        let mut at = 0;
        let segments = names
            .iter()
            .map(|n| {
                let span = Span::new(at, at + n.len());
                at += n.len() + 1;
                Spanned::new(Segment::Name(n.to_string()), span)
            })
            .collect();
        Path {
            segments,
            span: Span::new(0, at.saturating_sub(1)),
        }
    }

    fn pod() -> Type {
        let metadata = Record::open(
            None,
            vec![("name", Type::String), ("labels", map_of(Type::String))],
        )
        .into_type();
        Record::closed(
            Some("pod"),
            vec![("metadata", metadata), ("spec", Type::Any)],
        )
        .into_type()
    }

    #[test]
    fn fields_of_records_are_typed() {
        let mut diags = Diagnostics::default();
        let ty = read_path(&pod(), &path(&["p", "metadata", "name"]), 1, &mut diags);
        assert_eq!(ty, Ok(Type::String));
        let ty = read_path(
            &pod(),
            &path(&["p", "metadata", "labels", "app"]),
            1,
            &mut diags,
        );
        assert_eq!(ty, Ok(Type::String));
        // An open record's other fields are anything.
        let ty = read_path(
            &pod(),
            &path(&["p", "metadata", "generation"]),
            1,
            &mut diags,
        );
        assert_eq!(ty, Ok(Type::Any));
        assert!(diags.is_empty());
    }

    #[test]
    fn unknown_and_misspelt_fields_are_reported_with_a_hint() {
        let mut diags = Diagnostics::default();
        // Closed: any unknown field.
        let _ = read_path(&pod(), &path(&["p", "zzz"]), 1, &mut diags);
        // Open: a close misspelling of a known field.
        let _ = read_path(&pod(), &path(&["p", "metadata", "nmae"]), 1, &mut diags);
        let found: Vec<_> = diags.iter().collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| d.code == Code::UnknownRecordField));
        assert_eq!(found[1].message, "`p.metadata` has no field `nmae`");
        assert!(found[1]
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `name`?"));
    }

    #[test]
    fn reading_into_a_scalar_is_left_to_the_caller() {
        let mut diags = Diagnostics::default();
        let found = read_path(
            &pod(),
            &path(&["p", "metadata", "name", "x"]),
            1,
            &mut diags,
        );
        assert_eq!(
            found,
            Err(NoFields {
                at: 3,
                ty: Type::String
            })
        );
    }

    #[test]
    fn records_print_readably() {
        assert_eq!(pod().to_string(), "pod");
        assert_eq!(Type::List(Box::new(pod())).to_string(), "list<pod>");
        assert_eq!(map_of(Type::String).to_string(), "map<string>");
        let series = Record::open(None, vec![("name", Type::String)]).into_type();
        assert_eq!(
            Type::List(Box::new(series)).to_string(),
            "list<{name: string, ...}>"
        );
        assert_eq!(pod().describe(), "a `pod`");
    }
}
