//! A step's async handles (an EKS update id, the exact Kafka moves, a Pinot job id) are recorded in
//! the state under a key before the step waits. A key is typed: it names the value's type once,
//! where the step declares it, so a record and its read-back can never disagree on the shape.
use std::borrow::Cow;
use std::marker::PhantomData;

pub struct HandleKey<T> {
    name: Cow<'static, str>,
    // fn() -> T: the key holds no T, and is Send and Sync whatever T is.
    value: PhantomData<fn() -> T>,
}

impl<T> HandleKey<T> {
    /// A key fixed for the step (`"moves"`).
    pub const fn new(name: &'static str) -> HandleKey<T> {
        HandleKey {
            name: Cow::Borrowed(name),
            value: PhantomData,
        }
    }

    /// A key made per object (one per Pinot table, per GKE operation kind).
    pub fn named(name: String) -> HandleKey<T> {
        HandleKey {
            name: Cow::Owned(name),
            value: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}
