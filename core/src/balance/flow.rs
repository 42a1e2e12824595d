//! A small exact min-cost max-flow solver (primal-dual).
//!
//! Each round finds shortest distances with Dijkstra on reduced costs, raises the node potentials
//! and then pushes a maximum flow through the arcs of reduced cost zero (Dinic: BFS levels plus
//! blocking paths). Every unit pushed in a round has the same marginal cost, so the number of
//! rounds is the number of distinct marginal costs, which is tiny for the balancer's networks
//! (costs 0/1 plus a few large penalty tiers), while a round costs O(arcs) plus the paths pushed.
//! Negative arc costs are allowed when the graph at zero flow is acyclic in node order (every
//! arc goes from a lower to a higher node index); the initial potentials come from one pass in
//! that order.
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Costs are wide: the balancer stacks several lexicographic tiers into one number.
pub(crate) type Cost = i128;

const UNREACHED: Cost = Cost::MAX;

/// Edges collected before solving; `add_edge` returns the edge's id for reading its flow back.
pub(crate) struct FlowBuilder {
    node_count: usize,
    edges: Vec<(u32, u32, u32, Cost)>,
}

pub(crate) struct MinCostFlow {
    /// Arcs of node `u` are `first[u]..first[u + 1]`.
    first: Vec<usize>,
    to: Vec<u32>,
    /// Residual capacity.
    residual: Vec<u32>,
    cost: Vec<Cost>,
    /// Index of the reverse arc.
    pair: Vec<usize>,
    /// Arc index of each edge's forward arc, and the edge's capacity.
    edge_arc: Vec<usize>,
    edge_capacity: Vec<u32>,
    potential: Vec<Cost>,
}

pub(crate) struct FlowOutcome {
    pub flow: u64,
    pub cost: Cost,
}

impl FlowBuilder {
    pub fn new(node_count: usize) -> Self {
        FlowBuilder {
            node_count,
            edges: Vec::new(),
        }
    }

    pub fn add_edge(&mut self, from: usize, to: usize, capacity: u32, cost: Cost) -> usize {
        debug_assert!(from < to, "arcs must go forward in node order");
        self.edges.push((from as u32, to as u32, capacity, cost));
        self.edges.len() - 1
    }

    pub fn build(self) -> MinCostFlow {
        let n = self.node_count;
        let mut degree = vec![0usize; n + 1];
        for &(u, v, _, _) in &self.edges {
            degree[u as usize] += 1;
            degree[v as usize] += 1;
        }
        let mut first = vec![0usize; n + 1];
        for u in 0..n {
            first[u + 1] = first[u] + degree[u];
        }
        let arcs = first[n];
        let mut next = first.clone();
        let mut to = vec![0u32; arcs];
        let mut residual = vec![0u32; arcs];
        let mut cost: Vec<Cost> = vec![0; arcs];
        let mut pair = vec![0usize; arcs];
        let mut edge_arc = Vec::with_capacity(self.edges.len());
        let mut edge_capacity = Vec::with_capacity(self.edges.len());
        for &(u, v, capacity, c) in &self.edges {
            let forward = next[u as usize];
            next[u as usize] += 1;
            let backward = next[v as usize];
            next[v as usize] += 1;
            to[forward] = v;
            residual[forward] = capacity;
            cost[forward] = c;
            pair[forward] = backward;
            to[backward] = u;
            residual[backward] = 0;
            cost[backward] = -c;
            pair[backward] = forward;
            edge_arc.push(forward);
            edge_capacity.push(capacity);
        }
        MinCostFlow {
            first,
            to,
            residual,
            cost,
            pair,
            edge_arc,
            edge_capacity,
            potential: vec![0; n],
        }
    }
}

impl MinCostFlow {
    fn node_count(&self) -> usize {
        self.first.len() - 1
    }

    /// Flow on an edge after solving.
    pub fn flow(&self, edge: usize) -> u32 {
        self.edge_capacity[edge] - self.residual[self.edge_arc[edge]]
    }

    fn reduced(&self, arc: usize, from: usize) -> Cost {
        self.cost[arc] + self.potential[from] - self.potential[self.to[arc] as usize]
    }

    /// Pushes a maximum flow from `source` to `sink` at minimum cost.
    pub fn solve(&mut self, source: usize, sink: usize) -> FlowOutcome {
        self.initial_potentials(source);
        let mut outcome = FlowOutcome { flow: 0, cost: 0 };
        let n = self.node_count();
        let mut dist = vec![UNREACHED; n];
        let mut level = vec![-1i32; n];
        let mut cursor = vec![0usize; n];
        loop {
            self.shortest_distances(source, &mut dist);
            let to_sink = dist[sink];
            if to_sink == UNREACHED {
                break;
            }
            // Capping at the sink's distance keeps every residual reduced cost non-negative,
            // including at nodes the search did not settle.
            for (potential, &d) in self.potential.iter_mut().zip(&dist) {
                *potential += d.min(to_sink);
            }
            while self.admissible_levels(source, sink, &mut level) {
                cursor.copy_from_slice(&self.first[..n]);
                let pushed = self.blocking_flow(source, sink, &level, &mut cursor);
                outcome.flow += pushed.0;
                outcome.cost += pushed.1;
            }
        }
        outcome
    }

    /// Shortest distances from `source` at zero flow, one pass in node order (the network is
    /// acyclic in that order).
    fn initial_potentials(&mut self, source: usize) {
        let n = self.node_count();
        let mut dist = vec![UNREACHED; n];
        dist[source] = 0;
        for u in 0..n {
            if dist[u] == UNREACHED {
                continue;
            }
            for arc in self.first[u]..self.first[u + 1] {
                if self.residual[arc] > 0 {
                    let v = self.to[arc] as usize;
                    let candidate = dist[u] + self.cost[arc];
                    if candidate < dist[v] {
                        dist[v] = candidate;
                    }
                }
            }
        }
        // Nodes the source cannot reach at zero flow stay unreachable: flow only ever runs along
        // reachable paths, so their potential never matters.
        for (potential, d) in self.potential.iter_mut().zip(dist) {
            *potential = if d == UNREACHED { 0 } else { d };
        }
    }

    fn shortest_distances(&self, source: usize, dist: &mut [Cost]) {
        dist.fill(UNREACHED);
        dist[source] = 0;
        let mut heap = BinaryHeap::new();
        heap.push(Reverse((0 as Cost, source as u32)));
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            for arc in self.first[u]..self.first[u + 1] {
                if self.residual[arc] == 0 {
                    continue;
                }
                let reduced = self.reduced(arc, u);
                debug_assert!(reduced >= 0, "negative reduced cost {reduced}");
                let v = self.to[arc] as usize;
                let candidate = d + reduced;
                if candidate < dist[v] {
                    dist[v] = candidate;
                    heap.push(Reverse((candidate, v as u32)));
                }
            }
        }
    }

    /// BFS levels over arcs with residual capacity and zero reduced cost; true if the sink is
    /// reached.
    fn admissible_levels(&self, source: usize, sink: usize, level: &mut [i32]) -> bool {
        level.fill(-1);
        level[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for arc in self.first[u]..self.first[u + 1] {
                let v = self.to[arc] as usize;
                if level[v] < 0 && self.residual[arc] > 0 && self.reduced(arc, u) == 0 {
                    level[v] = level[u] + 1;
                    queue.push_back(v);
                }
            }
        }
        level[sink] >= 0
    }

    /// Pushes flow along level-increasing admissible paths until none is left. Returns the flow
    /// pushed and its cost.
    fn blocking_flow(&mut self, source: usize, sink: usize, level: &[i32], cursor: &mut [usize]) -> (u64, Cost) {
        let mut pushed = 0u64;
        let mut cost: Cost = 0;
        let mut dead = vec![false; level.len()];
        let mut path: Vec<usize> = Vec::new();
        let mut u = source;
        loop {
            if u == sink {
                let amount = path.iter().map(|&arc| self.residual[arc]).min().unwrap_or(0);
                for &arc in &path {
                    self.residual[arc] -= amount;
                    self.residual[self.pair[arc]] += amount;
                    cost += self.cost[arc] * Cost::from(amount);
                }
                pushed += u64::from(amount);
                path.clear();
                u = source;
                continue;
            }
            let end = self.first[u + 1];
            while cursor[u] < end {
                let arc = cursor[u];
                let v = self.to[arc] as usize;
                if !dead[v] && self.residual[arc] > 0 && level[v] == level[u] + 1 && self.reduced(arc, u) == 0 {
                    break;
                }
                cursor[u] += 1;
            }
            if cursor[u] < end {
                path.push(cursor[u]);
                u = self.to[cursor[u]] as usize;
            } else {
                dead[u] = true;
                match path.pop() {
                    None => return (pushed, cost),
                    Some(arc) => {
                        u = self.to[self.pair[arc]] as usize;
                        cursor[u] += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_cheap_route_first_and_fills_capacity() {
        // source 0 -> {1, 2} -> sink 3; route via 1 costs 5, via 2 costs 1 but carries 1 unit.
        let mut builder = FlowBuilder::new(4);
        let a = builder.add_edge(0, 1, 2, 0);
        let b = builder.add_edge(0, 2, 2, 0);
        builder.add_edge(1, 3, 2, 5);
        builder.add_edge(2, 3, 1, 1);
        let mut flow = builder.build();
        let outcome = flow.solve(0, 3);
        assert_eq!(outcome.flow, 3);
        assert_eq!(outcome.cost, 11);
        assert_eq!(flow.flow(a), 2);
        assert_eq!(flow.flow(b), 1);
    }

    #[test]
    fn reroutes_earlier_flow_when_that_is_cheaper() {
        // Two jobs, two machines: job A fits both (cost 0), job B only machine 1 (cost 0) or
        // machine 2 (cost 3). The optimum sends A to 2 and B to 1.
        // Nodes: 0 source, 1 A, 2 B, 3 m1, 4 m2, 5 sink.
        let mut builder = FlowBuilder::new(6);
        builder.add_edge(0, 1, 1, 0);
        builder.add_edge(0, 2, 1, 0);
        let a1 = builder.add_edge(1, 3, 1, 0);
        let a2 = builder.add_edge(1, 4, 1, 0);
        let b1 = builder.add_edge(2, 3, 1, 0);
        builder.add_edge(2, 4, 1, 3);
        builder.add_edge(3, 5, 1, 0);
        builder.add_edge(4, 5, 1, 0);
        let mut flow = builder.build();
        let outcome = flow.solve(0, 5);
        assert_eq!((outcome.flow, outcome.cost), (2, 0));
        assert_eq!((flow.flow(a1), flow.flow(a2), flow.flow(b1)), (0, 1, 1));
    }

    #[test]
    fn negative_costs_act_as_rewards() {
        let mut builder = FlowBuilder::new(4);
        builder.add_edge(0, 1, 1, 0);
        builder.add_edge(1, 2, 1, -10);
        let direct = builder.add_edge(1, 3, 1, 0);
        builder.add_edge(2, 3, 1, 1);
        let mut flow = builder.build();
        let outcome = flow.solve(0, 3);
        assert_eq!((outcome.flow, outcome.cost), (1, -9));
        assert_eq!(flow.flow(direct), 0);
    }
}
