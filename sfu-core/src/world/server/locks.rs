//! Object locks: first come, first served for `single` objects, shared for `multiple` ones.

use std::collections::HashMap;

use uuid::Uuid;

use crate::world::map::ObjectId;

/// One user's hold on an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub object: ObjectId,
    pub holder: Uuid,
    pub lock_id: Uuid,
}

/// The object is held by someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupied {
    pub by: Uuid,
}

/// Every held object. Invariant: an exclusive object has at most one lock.
#[derive(Debug, Default)]
pub struct Locks {
    by_object: HashMap<ObjectId, Vec<Lock>>,
}

impl Locks {
    /// Takes `object` for `holder`. A `single` object (exclusive) refuses a second holder; taking
    /// an object one already holds returns the existing lock.
    pub fn acquire(
        &mut self,
        object: &ObjectId,
        holder: Uuid,
        exclusive: bool,
        lock_id: Uuid,
    ) -> Result<Lock, Occupied> {
        let locks = self.by_object.entry(object.clone()).or_default();
        if let Some(mine) = locks.iter().find(|l| l.holder == holder) {
            return Ok(mine.clone());
        }
        if exclusive && let Some(other) = locks.first() {
            return Err(Occupied { by: other.holder });
        }
        let lock = Lock {
            object: object.clone(),
            holder,
            lock_id,
        };
        locks.push(lock.clone());
        Ok(lock)
    }

    /// Releases the lock `lock_id` on `object` (INTERACT_END). None when no such lock exists.
    pub fn release(&mut self, object: &ObjectId, lock_id: Uuid) -> Option<Lock> {
        let locks = self.by_object.get_mut(object)?;
        let at = locks.iter().position(|l| l.lock_id == lock_id)?;
        let lock = locks.remove(at);
        if locks.is_empty() {
            self.by_object.remove(object);
        }
        Some(lock)
    }

    /// Releases every lock `holder` has, in a stable order.
    pub fn release_all(&mut self, holder: Uuid) -> Vec<Lock> {
        self.release_where(|l| l.holder == holder)
    }

    /// Releases the locks of `holder` that `pred` picks.
    pub fn release_where(&mut self, mut pred: impl FnMut(&Lock) -> bool) -> Vec<Lock> {
        let mut released = Vec::new();
        self.by_object.retain(|_, locks| {
            locks.retain(|l| {
                if pred(l) {
                    released.push(l.clone());
                    false
                } else {
                    true
                }
            });
            !locks.is_empty()
        });
        released.sort_by(|a, b| a.object.cmp(&b.object));
        released
    }

    /// The locks `holder` has.
    pub fn held_by(&self, holder: Uuid) -> Vec<&Lock> {
        let mut held: Vec<&Lock> = self
            .by_object
            .values()
            .flatten()
            .filter(|l| l.holder == holder)
            .collect();
        held.sort_by(|a, b| a.object.cmp(&b.object));
        held
    }

    /// Who holds `object` (the first holder for shared objects).
    pub fn holder_of(&self, object: &ObjectId) -> Option<Uuid> {
        self.by_object.get(object)?.first().map(|l| l.holder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Uuid, Uuid) {
        (Uuid::from_u128(1), Uuid::from_u128(2))
    }

    #[test]
    fn single_objects_are_first_come_first_served() {
        let (alice, bob) = ids();
        let chair = ObjectId::new("chair-1");
        let mut locks = Locks::default();
        let lock = locks
            .acquire(&chair, alice, true, Uuid::from_u128(10))
            .expect("free chair");
        assert_eq!(
            locks.acquire(&chair, bob, true, Uuid::from_u128(11)),
            Err(Occupied { by: alice })
        );
        assert_eq!(
            locks.acquire(&chair, alice, true, Uuid::from_u128(12)),
            Ok(lock.clone()),
            "re-taking returns the same lock"
        );
        assert_eq!(
            locks.release(&chair, Uuid::from_u128(99)),
            None,
            "a wrong lock id releases nothing"
        );
        assert_eq!(locks.release(&chair, lock.lock_id), Some(lock));
        assert!(
            locks
                .acquire(&chair, bob, true, Uuid::from_u128(13))
                .is_ok(),
            "free again after release"
        );
    }

    #[test]
    fn shared_objects_take_many_holders_and_release_all_frees_everything() {
        let (alice, bob) = ids();
        let sofa = ObjectId::new("sofa");
        let desk = ObjectId::new("desk");
        let mut locks = Locks::default();
        locks
            .acquire(&sofa, alice, false, Uuid::from_u128(1))
            .expect("shared");
        locks
            .acquire(&sofa, bob, false, Uuid::from_u128(2))
            .expect("shared");
        locks
            .acquire(&desk, alice, true, Uuid::from_u128(3))
            .expect("free");
        let released = locks.release_all(alice);
        assert_eq!(released.len(), 2, "{released:?}");
        assert_eq!(locks.holder_of(&sofa), Some(bob));
        assert_eq!(locks.holder_of(&desk), None);
        assert!(locks.held_by(alice).is_empty());
    }
}
