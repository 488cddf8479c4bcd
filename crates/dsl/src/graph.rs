//! The step graph: nodes are steps (node index = step index in the playbook),
//! edges are `needs` edges and conditional edges (branch cases, `else`,
//! failure edges). Every walk here is iterative, so depth is no limit.
//! Which steps are upstream of which is [`ancestry`].

mod ancestry;

pub use ancestry::Ancestry;

use crate::source::Span;
use fixedbitset::FixedBitSet;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

/// Why one step comes after another.
#[derive(Clone, Debug, PartialEq)]
pub enum EdgeKind {
    /// `needs`: the target runs after the source.
    Needs,
    /// The `index`th case of a branch: taken when its condition holds.
    Case { index: usize, condition: String },
    /// The branch's `else`.
    Else,
    /// `on_failure: {goto}`: taken when the source fails.
    Failure,
}

impl EdgeKind {
    /// Conditional edges are taken only when their condition holds.
    pub fn is_conditional(&self) -> bool {
        !matches!(self, EdgeKind::Needs)
    }

    /// A short label, as graphs print it.
    pub fn label(&self) -> String {
        match self {
            EdgeKind::Needs => String::new(),
            EdgeKind::Case { condition, .. } => condition.clone(),
            EdgeKind::Else => "else".into(),
            EdgeKind::Failure => "on failure".into(),
        }
    }
}

/// An edge with the span of what created it (a `needs` entry, a `then` target).
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub kind: EdgeKind,
    pub span: Span,
}

/// A graph with a cycle, split by what a topological sort could order.
#[derive(Clone, Debug, PartialEq)]
pub struct Cyclic {
    /// The steps before every cycle, in a topological order.
    pub ordered: Vec<usize>,
    /// The steps on or after a cycle, in playbook order.
    pub leftover: Vec<usize>,
}

/// The graph of steps of one playbook.
#[derive(Clone, Debug, Default)]
pub struct StepGraph {
    graph: DiGraph<usize, Edge>,
}

impl StepGraph {
    pub fn new(steps: usize) -> StepGraph {
        let mut graph = DiGraph::with_capacity(steps, steps);
        for i in 0..steps {
            graph.add_node(i);
        }
        StepGraph { graph }
    }

    pub fn add_edge(&mut self, from: usize, to: usize, edge: Edge) {
        self.graph
            .add_edge(NodeIndex::new(from), NodeIndex::new(to), edge);
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Edges into a step: `(source, edge)`.
    pub fn incoming(&self, step: usize) -> impl Iterator<Item = (usize, &Edge)> {
        self.graph
            .edges_directed(NodeIndex::new(step), Direction::Incoming)
            .map(|e| (e.source().index(), e.weight()))
    }

    /// Edges out of a step: `(target, edge)`.
    pub fn outgoing(&self, step: usize) -> impl Iterator<Item = (usize, &Edge)> {
        self.graph
            .edges_directed(NodeIndex::new(step), Direction::Outgoing)
            .map(|e| (e.target().index(), e.weight()))
    }

    /// Every edge, as `(source, target, edge)`, in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, &Edge)> {
        self.graph
            .raw_edges()
            .iter()
            .map(|e| (e.source().index(), e.target().index(), &e.weight))
    }

    /// The underlying petgraph graph, for algorithms and export.
    pub fn petgraph(&self) -> &DiGraph<usize, Edge> {
        &self.graph
    }

    /// A topological order (Kahn's algorithm, stable: ties in playbook order),
    /// or, when there is a cycle, the steps it could order and those left over.
    pub fn topological_order(&self) -> Result<Vec<usize>, Cyclic> {
        let n = self.len();
        let mut in_degree = vec![0usize; n];
        for (_, to, _) in self.edges() {
            in_degree[to] += 1;
        }
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
            .filter(|&i| in_degree[i] == 0)
            .map(std::cmp::Reverse)
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(std::cmp::Reverse(step)) = ready.pop() {
            order.push(step);
            for (to, _) in self.outgoing(step) {
                in_degree[to] -= 1;
                if in_degree[to] == 0 {
                    ready.push(std::cmp::Reverse(to));
                }
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(Cyclic {
                ordered: order,
                leftover: (0..n).filter(|&i| in_degree[i] > 0).collect(),
            })
        }
    }

    /// Distinct cycles among `leftover` steps (those a topological sort could
    /// not place). Each cycle is a list of `(source, target, edge)` in order.
    pub fn cycles(&self, leftover: &[usize]) -> Vec<Vec<(usize, usize, Edge)>> {
        let mut in_leftover = FixedBitSet::with_capacity(self.len());
        for &s in leftover {
            in_leftover.insert(s);
        }
        let mut done = FixedBitSet::with_capacity(self.len());
        let mut cycles = Vec::new();
        for &start in leftover {
            if done.contains(start) {
                continue;
            }
            // Walk backwards along edges that stay among leftover steps: each
            // such step has a predecessor there, so the walk must repeat a step.
            let mut position: std::collections::HashMap<usize, usize> =
                std::collections::HashMap::new();
            let mut path: Vec<(usize, usize, Edge)> = Vec::new();
            let mut current = start;
            let mut seen_done = false;
            loop {
                if let Some(&at) = position.get(&current) {
                    let mut cycle: Vec<(usize, usize, Edge)> = path[at..].to_vec();
                    cycle.reverse();
                    for (from, _, _) in &cycle {
                        done.insert(*from);
                    }
                    cycles.push(cycle);
                    break;
                }
                if done.contains(current) && current != start {
                    seen_done = true;
                    break;
                }
                position.insert(current, path.len());
                let Some((from, edge)) = self
                    .incoming(current)
                    .find(|(from, _)| in_leftover.contains(*from))
                else {
                    break;
                };
                path.push((from, current, edge.clone()));
                current = from;
            }
            if seen_done {
                for (from, to, _) in &path {
                    done.insert(*from);
                    done.insert(*to);
                }
            }
            done.insert(start);
        }
        cycles
    }

    /// Which steps are upstream of which, over a topological order of
    /// some or all of the steps (memory linear in the steps).
    pub fn ancestry(&self, order: &[usize]) -> Ancestry {
        Ancestry::new(self, order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs() -> Edge {
        Edge {
            kind: EdgeKind::Needs,
            span: Span::default(),
        }
    }

    #[test]
    fn orders_a_long_chain_without_recursion() {
        let n = 20_000;
        let mut g = StepGraph::new(n);
        for i in 1..n {
            g.add_edge(i - 1, i, needs());
        }
        let order = g.topological_order().unwrap();
        assert_eq!(order.first(), Some(&0));
        let ancestry = g.ancestry(&order);
        assert!(ancestry.is_upstream(0, n - 1));
        assert!(!ancestry.is_upstream(n - 1, 0));
    }

    #[test]
    fn finds_each_cycle_once() {
        let mut g = StepGraph::new(6);
        g.add_edge(0, 1, needs());
        g.add_edge(1, 2, needs());
        g.add_edge(2, 0, needs());
        g.add_edge(2, 3, needs());
        g.add_edge(4, 5, needs());
        g.add_edge(5, 4, needs());
        let leftover = g.topological_order().unwrap_err().leftover;
        let cycles = g.cycles(&leftover);
        assert_eq!(cycles.len(), 2, "{cycles:?}");
        let first: Vec<usize> = cycles[0].iter().map(|(f, _, _)| *f).collect();
        assert_eq!(first.len(), 3);
    }

    #[test]
    fn self_loops_are_cycles() {
        let mut g = StepGraph::new(1);
        g.add_edge(0, 0, needs());
        let leftover = g.topological_order().unwrap_err().leftover;
        assert_eq!(g.cycles(&leftover).len(), 1);
    }
}
