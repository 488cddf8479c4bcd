//! `branch` and `triage` steps: conditional edges.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::Node;
use crate::source::Spanned;

impl Lowerer<'_> {
    pub(super) fn branch(
        &mut self,
        keyword: Spanned<BranchKeyword>,
        node: &Node,
    ) -> Option<Branch> {
        let Some(items) = node.as_seq() else {
            self.wrong_type(
                node,
                &format!("`{}`", keyword.value.name()),
                "a list of cases",
            );
            return None;
        };
        let mut cases = Vec::new();
        let mut otherwise: Option<Spanned<String>> = None;
        for item in items {
            let Some(mut fields) = self.fields(item, "a case") else {
                continue;
            };
            let when = fields.take("when");
            let then = fields.take("then");
            let else_ = fields.take("else");
            self.unknown_fields(&fields, &["when", "then", "else"], "a case");
            if let Some(previous) = &otherwise {
                self.error(
                    Diagnostic::error(
                        Code::UnreachableCase,
                        "a case after `else` can never be taken",
                    )
                    .label(item.span, "after `else`")
                    .label(previous.span, "`else` is here")
                    .help("`else` must be the last case"),
                );
                continue;
            }
            match (when, then, else_) {
                (None, None, Some(target)) => otherwise = self.ident(target, "step id"),
                (Some(w), Some(t), None) => {
                    let when = self.expression(w, "a case condition");
                    let then = self.ident(t, "step id");
                    if let (Some(when), Some(then)) = (when, then) {
                        cases.push(Case {
                            when,
                            then,
                            span: item.span,
                        });
                    }
                }
                (Some(_), None, None) => self.error(
                    Diagnostic::error(Code::MissingField, "a case has no `then`")
                        .label(item.span, "which step runs when this holds?")
                        .help("write `- when: CONDITION` and `then: STEP`"),
                ),
                (None, Some(_), None) => self.error(
                    Diagnostic::error(Code::MissingField, "a case has no `when`")
                        .label(item.span, "taken when what holds?")
                        .help("write `when: CONDITION` before `then`, or use `else: STEP` for the fallback"),
                ),
                _ => self.error(
                    Diagnostic::error(Code::InvalidValue, "a case is `when` + `then`, or `else` alone")
                        .label(item.span, "this case")
                        .help("e.g. `- when: steps.classify.answer == \"workload\"` / `then: workload`, and a last `- else: escalate`"),
                ),
            }
        }
        if cases.is_empty() && otherwise.is_none() {
            self.error(
                Diagnostic::error(
                    Code::EmptyBranch,
                    format!("the {} has no cases", keyword.value.name()),
                )
                .label(keyword.span.to(node.span), "no cases")
                .help("add cases `when: CONDITION` / `then: STEP`"),
            );
        }
        Some(Branch {
            span: keyword.span.to(node.span),
            keyword,
            cases,
            otherwise,
        })
    }
}
