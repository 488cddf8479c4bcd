//! The statements of a step with a grammar of their own: `until` with its
//! interval and deadline, `assert`, `retry`, and the cases of a `triage` or
//! `branch` (see the module documentation of `parse.rs`).

use super::*;

impl Chunk {
    /// `[every D] [within D] until EXPR`: the plain expression when there is no
    /// interval or deadline (YAML's shorthand), else `{condition, every, within}`.
    pub(super) fn until(&self, pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Entry> {
        let whole = self.span(&pair);
        let mut clauses = Vec::new();
        let mut key = None;
        let mut condition = None;
        for item in children(pair) {
            match item.as_rule() {
                Rule::every_clause | Rule::within_clause => {
                    let kw = self.keyword(&item);
                    let value = self.scalar(item.into_inner().next().expect("duration"))?;
                    clauses.push(Entry { key: kw, value });
                }
                Rule::kw_until => key = Some(self.token(&item)),
                Rule::expr => condition = Some(self.expr(item)),
                Rule::until_block => {
                    let at = self.span(&item);
                    let mut entries = Vec::new();
                    for part in children(item) {
                        if part.as_rule() == Rule::condition_stmt {
                            let kw = self.keyword(&part);
                            let value = self.condition(
                                children(part).next().expect("expression"),
                                "condition",
                                warnings,
                            )?;
                            entries.push(Entry { key: kw, value });
                        } else {
                            entries.push(self.entry(part)?);
                        }
                    }
                    condition = Some(Node::new(Value::Map(entries), at));
                }
                rule => unreachable!("unexpected until rule {rule:?}"),
            }
        }
        let key = key.expect("until keyword");
        let condition = condition.expect("until condition");
        if let Value::Map(block) = condition.value {
            // `until { condition EXPR ... }`, after any `every`/`within` clauses.
            let at = if clauses.is_empty() {
                condition.span
            } else {
                whole
            };
            let mut map = clauses;
            map.extend(block);
            return Ok(Entry {
                key,
                value: Node::new(Value::Map(map), at),
            });
        }
        if clauses.is_empty() {
            return Ok(Entry {
                key,
                value: condition,
            });
        }
        let mut map = vec![Entry {
            key: synthetic("condition", key.span),
            value: condition,
        }];
        map.extend(clauses);
        Ok(Entry {
            key,
            value: Node::new(Value::Map(map), whole),
        })
    }

    /// `assert EXPR` or `assert { that EXPR ... }`: the kind `assert` with its
    /// condition read like `when`'s.
    pub(super) fn assert(&self, pair: Pair<Rule>, warnings: &mut Vec<Diagnostic>) -> Result<Entry> {
        let key = self.keyword(&pair);
        let body = children(pair).next().expect("a condition or a block");
        let value = if body.as_rule() == Rule::assert_block {
            let whole = self.span(&body);
            let mut entries = Vec::new();
            for item in children(body) {
                if item.as_rule() == Rule::that_stmt {
                    let that = self.keyword(&item);
                    let condition = self.condition(
                        children(item).next().expect("expression"),
                        "that",
                        warnings,
                    )?;
                    entries.push(Entry {
                        key: that,
                        value: condition,
                    });
                } else {
                    entries.push(self.entry(item)?);
                }
            }
            Node::new(Value::Map(entries), whole)
        } else {
            self.condition(body, "assert", warnings)?
        };
        Ok(Entry { key, value })
    }

    /// The condition of `assert` or `that`. The quoted form older playbooks
    /// use (`assert "a == b"`) is read as the expression inside the quotes,
    /// with a warning whose fix is the bare form (`runbook fmt` writes it).
    pub(super) fn condition(
        &self,
        pair: Pair<Rule>,
        keyword: &str,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Node> {
        let node = self.expr(pair);
        let Value::Str(raw) = &node.value else {
            return Ok(node);
        };
        if !is_one_string(&raw.value) {
            return Ok(node);
        }
        let at = node.span;
        let text = strings::quoted(&raw.value, at)?;
        let bare = expression(&text.value);
        let warning = Diagnostic::warning(
            Code::QuotedExpression,
            format!("the `{keyword}` expression is written as a quoted string"),
        )
        .label(at, "an expression in quotes");
        // The bare form is offered only when it reads back as this expression
        // (the `check` error about a malformed one comes next).
        let reads_back = crate::expr::parse(&Text::verbatim(&bare, at)).is_ok();
        warnings.push(if reads_back {
        warning
            .help(format!(
                "write the expression without quotes, like `when`'s: `{keyword} {bare}` (`runbook fmt` rewrites it)"
            ))
            .fix(at, bare)
    } else {
        warning.help(format!(
            "write the expression without quotes, like `when`'s: `{keyword} EXPR`"
        ))
    });
        Ok(Node::new(Value::Str(text), at))
    }

    /// `retry N [delay D] [backoff F]` -> `{attempts, delay, backoff}`.
    pub(super) fn retry(&self, pair: Pair<Rule>) -> Result<Entry> {
        let whole = self.span(&pair);
        let key = self.keyword(&pair);
        let mut inner = children(pair);
        let attempts = self.word(inner.next().expect("attempts"));
        let mut map = vec![Entry {
            key: synthetic("attempts", attempts.span),
            value: attempts,
        }];
        for clause in inner {
            let kw = self.keyword(&clause);
            // `delay "{{inputs.pause}}"`: a templated duration is a string.
            let value = self.scalar(clause.into_inner().next().expect("value"))?;
            map.push(Entry { key: kw, value });
        }
        let value_span = Span::new(map[0].value.span.start, whole.end);
        Ok(Entry {
            key,
            value: Node::new(Value::Map(map), value_span),
        })
    }

    /// `triage { when EXPR -> ID ... else -> ID }` -> a list of `{when, then}` / `{else}`.
    pub(super) fn cases(&self, pair: Pair<Rule>) -> Result<Entry> {
        let whole = self.span(&pair);
        let key = self.keyword(&pair);
        let mut inner = pair.into_inner();
        let open = self.span(&inner.next().expect("`{`"));
        let mut items = Vec::new();
        for case in inner.filter(|p| !is_noise(p.as_rule())) {
            let case_span = self.span(&case);
            let rule = case.as_rule();
            let kw = self.keyword(&case);
            let mut parts = case.into_inner();
            let entries = if rule == Rule::when_case {
                let condition = self.expr(parts.next().expect("expression"));
                let arrow = self.span(&parts.next().expect("arrow"));
                let target = self.id_node(parts.next().expect("target"));
                vec![
                    Entry {
                        key: kw,
                        value: condition,
                    },
                    Entry {
                        key: synthetic("then", arrow),
                        value: target,
                    },
                ]
            } else {
                parts.next().expect("arrow");
                let target = self.id_node(parts.next().expect("target"));
                vec![Entry {
                    key: kw,
                    value: target,
                }]
            };
            items.push(Node::new(Value::Map(entries), case_span));
        }
        Ok(Entry {
            key,
            value: Node::new(Value::Seq(items), Span::new(open.start, whole.end)),
        })
    }
}
