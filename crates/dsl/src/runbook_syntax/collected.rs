//! Statements that the YAML form spells as entries of one key (`input`s
//! under `inputs`, `var`s under `vars`, `step`s under `steps`, `output`s
//! under `outputs`): the tree builder collects them under a synthesised key.

use crate::node::{Entry, Node, Text, Value};
use crate::source::Span;

/// Entries collected under one synthesised key (`inputs`, `steps`, `outputs`):
/// the entry sits where the first statement was, its span covers them all.
#[derive(Clone, Copy)]
pub(super) struct Collected {
    index: usize,
}

impl Collected {
    pub(super) fn push(
        slot: &mut Option<Collected>,
        entries: &mut Vec<Entry>,
        key: &str,
        kw: Span,
        item: CollectedItem,
    ) {
        let at = *slot.get_or_insert_with(|| {
            let empty = match item {
                // Room for one: most steps have one `output`.
                CollectedItem::Entry(_) => Value::Map(Vec::with_capacity(1)),
                CollectedItem::Item(_) => Value::Seq(Vec::with_capacity(1)),
            };
            entries.push(Entry {
                // The key is not written in the file: it maps to the
                // keyword of the first statement.
                key: Text::opaque(key, kw),
                value: Node::new(empty, kw),
            });
            Collected {
                index: entries.len() - 1,
            }
        });
        let node = &mut entries[at.index].value;
        match (item, &mut node.value) {
            (CollectedItem::Entry(entry), Value::Map(map)) => {
                node.span = node.span.to(entry.value.span);
                map.push(entry);
            }
            (CollectedItem::Item(item), Value::Seq(seq)) => {
                node.span = node.span.to(item.span);
                seq.push(item);
            }
            _ => unreachable!("a collected key always holds items of one shape"),
        }
    }

    /// Once every item is in: gives back the room the items' vector grew
    /// by doubling (a large file's tree lives until it is lowered).
    pub(super) fn close(self, entries: &mut [Entry]) {
        match &mut entries[self.index].value.value {
            Value::Map(map) => map.shrink_to_fit(),
            Value::Seq(seq) => seq.shrink_to_fit(),
            _ => {}
        }
    }
}

pub(super) enum CollectedItem {
    Entry(Entry),
    Item(Node),
}
