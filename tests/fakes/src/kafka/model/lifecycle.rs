//! Brokers joining and leaving, as the KRaft controller handles registration, fencing and
//! unfencing (ReplicationControlManager.handleBrokerFenced / handleBrokerUnfenced, both through
//! generateLeaderAndIsrUpdates): a leaving broker drops out of every ISR and loses its leaderships;
//! a returning one leads the partitions left without a leader and catches up on the rest.
use super::partition::{Election, NO_LEADER, PartitionChange};
use super::{Broker, Cluster};

/// What a broker change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerChange {
    Registered,
    Unfenced,
    Fenced,
    Unregistered,
    Unchanged,
}

impl Cluster {
    /// A broker whose pod became Ready: registers it (new id) or unfences it (known id).
    pub fn broker_up(&mut self, id: i32, rack: Option<String>) -> BrokerChange {
        match self.brokers.get_mut(&id) {
            Some(b) if !b.fenced => BrokerChange::Unchanged,
            Some(b) => {
                b.fenced = false;
                if rack.is_some() {
                    b.rack = rack;
                }
                self.lead_leaderless();
                self.record(format!("broker {id} unfenced"));
                BrokerChange::Unfenced
            }
            None => {
                let broker = Broker {
                    id,
                    host: self.host_of(id),
                    port: 0,
                    rack,
                    fenced: false,
                    disk_bytes: self.settings.disk_bytes,
                };
                self.brokers.insert(id, broker);
                self.lead_leaderless();
                self.record(format!("broker {id} registered"));
                BrokerChange::Registered
            }
        }
    }

    /// A broker whose pod went away: fenced, its registration (and its replicas) stay.
    pub fn broker_down(&mut self, id: i32) -> BrokerChange {
        match self.brokers.get_mut(&id) {
            Some(b) if !b.fenced => {
                b.fenced = true;
                self.after_fence(id);
                self.record(format!("broker {id} fenced"));
                BrokerChange::Fenced
            }
            _ => BrokerChange::Unchanged,
        }
    }

    /// `kafka-cluster unregister`: forgets a broker (fencing it first). Its replicas stay in the
    /// assignments, offline, as in Kafka.
    pub fn unregister_broker(&mut self, id: i32) -> BrokerChange {
        if !self.brokers.contains_key(&id) {
            return BrokerChange::Unchanged;
        }
        self.broker_down(id);
        self.brokers.remove(&id);
        self.record(format!("broker {id} unregistered"));
        BrokerChange::Unregistered
    }

    fn after_fence(&mut self, id: i32) {
        let brokers = self.brokers.clone();
        let acceptable = |r: i32| r != id && brokers.get(&r).is_some_and(|b| !b.fenced);
        let unclean: Vec<String> = self
            .topics
            .keys()
            .filter(|t| self.unclean_election_enabled(t))
            .cloned()
            .collect();
        self.out_of_sync.forget();
        for topic in self.topics.values_mut() {
            let election = if unclean.contains(&topic.name) {
                Election::Unclean
            } else {
                Election::Online
            };
            for part in topic.partitions.iter_mut().filter(|p| p.isr.contains(&id)) {
                let isr: Vec<i32> = part.isr.iter().copied().filter(|&r| r != id).collect();
                let snapshot = part.clone();
                PartitionChange::new(&snapshot)
                    .isr(isr)
                    .election(election)
                    .apply(acceptable, part);
                if !part.isr.contains(&id) {
                    // It keeps the log it had; back in service it only fetches what it missed.
                    part.catching_up.insert(id, part.size_bytes as f64);
                }
            }
        }
    }

    /// handleBrokerUnfenced: partitions without a leader elect one now that another broker is up.
    fn lead_leaderless(&mut self) {
        let brokers = self.brokers.clone();
        let acceptable = |r: i32| brokers.get(&r).is_some_and(|b| !b.fenced);
        self.out_of_sync.forget();
        for topic in self.topics.values_mut() {
            for part in topic.partitions.iter_mut().filter(|p| p.leader == NO_LEADER) {
                let snapshot = part.clone();
                PartitionChange::new(&snapshot).apply(acceptable, part);
            }
        }
    }
}
