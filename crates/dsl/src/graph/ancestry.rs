//! Which steps are upstream of which, answered on demand in linear memory.
//!
//! A set of ancestors per step costs memory in the square of the steps (a
//! 100,000-step chain needed 1.2 GiB of bitsets). Instead each step gets a
//! few numbers from one depth-first walk (GRAIL-style interval labels):
//! `post` (its finishing rank), `low` (the lowest rank it reaches) and `pre`
//! (its starting rank). If `a` reaches `b` then `b`'s range `[low, post]`
//! lies inside `a`'s, so a range outside answers "no" at once; a `b` inside
//! `a`'s subtree of the walk answers "yes" at once. Only what is left is
//! searched, forward from `a`, skipping every step whose labels rule it out,
//! with one visited set reused by every query. Every walk is iterative.

use super::StepGraph;
use std::cell::RefCell;

/// Marks a step outside the topological order (on or after a cycle).
const UNPLACED: u32 = u32::MAX;

/// Ancestry queries over the steps of one topological order.
#[derive(Debug)]
pub struct Ancestry {
    /// Position in the order, or [`UNPLACED`].
    position: Vec<u32>,
    pre: Vec<u32>,
    post: Vec<u32>,
    low: Vec<u32>,
    /// Successors of each step among placed steps, as one flat list:
    /// those of `s` are `targets[first[s]..first[s + 1]]`.
    first: Vec<u32>,
    targets: Vec<u32>,
    /// The search's visited marks: a step is visited when its mark equals
    /// the current query's number, so no query clears the set.
    search: RefCell<Search>,
}

#[derive(Debug, Default)]
struct Search {
    mark: Vec<u32>,
    query: u32,
    stack: Vec<u32>,
}

impl Ancestry {
    /// Labels the steps of `order` (a topological order of some or all of
    /// the graph's steps; steps not in it have no ancestry).
    pub fn new(graph: &StepGraph, order: &[usize]) -> Ancestry {
        let n = graph.len();
        let mut position = vec![UNPLACED; n];
        for (at, &step) in order.iter().enumerate() {
            position[step] = at as u32;
        }
        let mut first = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(n);
        for step in 0..n {
            first.push(targets.len() as u32);
            if position[step] != UNPLACED {
                targets.extend(
                    graph
                        .outgoing(step)
                        .map(|(to, _)| to)
                        .filter(|&to| position[to] != UNPLACED)
                        .map(|to| to as u32),
                );
            }
        }
        first.push(targets.len() as u32);
        let mut ancestry = Ancestry {
            position,
            pre: vec![0; n],
            post: vec![0; n],
            low: vec![u32::MAX; n],
            first,
            targets,
            search: RefCell::new(Search {
                mark: vec![0; n],
                query: 0,
                stack: Vec::new(),
            }),
        };
        ancestry.label(order);
        ancestry
    }

    fn successors(&self, step: usize) -> &[u32] {
        &self.targets[self.first[step] as usize..self.first[step + 1] as usize]
    }

    /// One depth-first walk from each unvisited step in order: `pre` and
    /// `post` ranks, then `low` in reverse topological order.
    fn label(&mut self, order: &[usize]) {
        let n = self.position.len();
        let mut started = vec![false; n];
        let (mut pre_rank, mut post_rank) = (0u32, 0u32);
        // (step, how many of its successors were tried)
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for &root in order {
            if started[root] {
                continue;
            }
            started[root] = true;
            self.pre[root] = pre_rank;
            pre_rank += 1;
            stack.push((root as u32, 0));
            while let Some(top) = stack.last_mut() {
                let (step, tried) = (top.0 as usize, top.1 as usize);
                match self.successors(step).get(tried) {
                    Some(&next) => {
                        top.1 += 1;
                        let next = next as usize;
                        if !started[next] {
                            started[next] = true;
                            self.pre[next] = pre_rank;
                            pre_rank += 1;
                            stack.push((next as u32, 0));
                        }
                    }
                    None => {
                        self.post[step] = post_rank;
                        post_rank += 1;
                        stack.pop();
                    }
                }
            }
        }
        for &step in order.iter().rev() {
            let mut low = self.post[step];
            for &next in self.successors(step) {
                low = low.min(self.low[next as usize]);
            }
            self.low[step] = low;
        }
    }

    /// Whether everything `b` reaches could be reached from `a` (if not, `a`
    /// does not reach `b`).
    fn may_reach(&self, a: usize, b: usize) -> bool {
        self.low[a] <= self.low[b] && self.post[b] <= self.post[a]
    }

    /// Whether `b` lies under `a` in the walk's tree (then `a` reaches `b`).
    fn tree_reaches(&self, a: usize, b: usize) -> bool {
        self.pre[a] <= self.pre[b] && self.post[b] <= self.post[a]
    }

    /// Whether the step is in the order the ancestry was built on.
    pub fn is_ordered(&self, step: usize) -> bool {
        self.position.get(step).is_some_and(|&p| p != UNPLACED)
    }

    /// Whether `a` is upstream of `b`: a path of edges leads from `a` to `b`.
    /// A step is not upstream of itself; steps outside the order are upstream
    /// of nothing and have nothing upstream.
    pub fn is_upstream(&self, a: usize, b: usize) -> bool {
        let (Some(&pa), Some(&pb)) = (self.position.get(a), self.position.get(b)) else {
            return false;
        };
        if pa == UNPLACED || pb == UNPLACED || pa >= pb || !self.may_reach(a, b) {
            return false;
        }
        if self.tree_reaches(a, b) {
            return true;
        }
        let mut search = self.search.borrow_mut();
        let Search { mark, query, stack } = &mut *search;
        *query = query.wrapping_add(1);
        if *query == 0 {
            mark.iter_mut().for_each(|m| *m = 0);
            *query = 1;
        }
        stack.clear();
        stack.push(a as u32);
        mark[a] = *query;
        while let Some(step) = stack.pop() {
            for &next in self.successors(step as usize) {
                let next_step = next as usize;
                if next_step == b {
                    return true;
                }
                if mark[next_step] == *query {
                    continue;
                }
                mark[next_step] = *query;
                if self.position[next_step] >= pb || !self.may_reach(next_step, b) {
                    continue;
                }
                if self.tree_reaches(next_step, b) {
                    return true;
                }
                stack.push(next);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{Edge, EdgeKind, StepGraph};
    use crate::source::Span;

    fn needs() -> Edge {
        Edge {
            kind: EdgeKind::Needs,
            span: Span::default(),
        }
    }

    /// Upstream sets the slow, obvious way: every step's ancestors as a set.
    fn brute_force(graph: &StepGraph, order: &[usize]) -> Vec<Vec<bool>> {
        let n = graph.len();
        let mut sets = vec![vec![false; n]; n];
        for &step in order {
            for (from, _) in graph.incoming(step) {
                let from_set = sets[from].clone();
                for (k, is) in from_set.into_iter().enumerate() {
                    sets[step][k] |= is;
                }
                sets[step][from] = true;
            }
        }
        sets
    }

    /// A reproducible pseudo-random number (no dependency for a test).
    fn next(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn agrees_with_upstream_sets_on_random_graphs() {
        let mut seed = 7;
        for round in 0..300 {
            let n = 1 + (next(&mut seed) % 40) as usize;
            let mut g = StepGraph::new(n);
            let edges = next(&mut seed) % (3 * n as u64 + 1);
            for _ in 0..edges {
                let a = (next(&mut seed) % n as u64) as usize;
                let b = (next(&mut seed) % n as u64) as usize;
                // Mostly forward edges; every tenth round may have cycles.
                if a < b || (round % 10 == 0 && a != b) {
                    g.add_edge(a, b, needs());
                }
            }
            let order = match g.topological_order() {
                Ok(order) => order,
                Err(cyclic) => cyclic.ordered,
            };
            let sets = brute_force(&g, &order);
            let ancestry = g.ancestry(&order);
            for (b, upstream_of_b) in sets.iter().enumerate() {
                for (a, &expected) in upstream_of_b.iter().enumerate() {
                    assert_eq!(
                        ancestry.is_upstream(a, b),
                        expected,
                        "round {round}: is {a} upstream of {b}? edges {:?}",
                        g.edges().map(|(f, t, _)| (f, t)).collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn deep_chains_and_wide_fans_need_no_recursion() {
        let n = 100_000;
        let mut chain = StepGraph::new(n);
        for i in 1..n {
            chain.add_edge(i - 1, i, needs());
        }
        let ancestry = chain.ancestry(&chain.topological_order().unwrap());
        assert!(ancestry.is_upstream(0, n - 1));
        assert!(ancestry.is_upstream(n / 2, n / 2 + 1));
        assert!(!ancestry.is_upstream(n - 1, 0));
        assert!(!ancestry.is_upstream(5, 5));

        // A fan out and back in: every middle step is upstream of the join,
        // and no middle step is upstream of another.
        let mut fan = StepGraph::new(n);
        for i in 1..n - 1 {
            fan.add_edge(0, i, needs());
            fan.add_edge(i, n - 1, needs());
        }
        let ancestry = fan.ancestry(&fan.topological_order().unwrap());
        for i in (1..n - 1).step_by(997) {
            assert!(ancestry.is_upstream(0, i));
            assert!(ancestry.is_upstream(i, n - 1));
            assert!(!ancestry.is_upstream(i, i + 1));
        }
    }

    #[test]
    fn steps_outside_the_order_have_no_ancestry() {
        let mut g = StepGraph::new(4);
        g.add_edge(0, 1, needs());
        g.add_edge(1, 2, needs());
        g.add_edge(2, 1, needs());
        g.add_edge(2, 3, needs());
        let ancestry = g.ancestry(&[0]);
        assert!(ancestry.is_ordered(0));
        assert!(!ancestry.is_ordered(1));
        assert!(!ancestry.is_upstream(0, 1));
        assert!(!ancestry.is_upstream(0, 3));
        assert!(!ancestry.is_upstream(0, 99));
    }
}
