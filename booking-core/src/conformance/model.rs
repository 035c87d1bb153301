//! (being written)

use super::harness::StoreFactory;

pub(crate) fn group_property_test(_factory: StoreFactory<'_>) -> Result<(), String> {
    Err("not written yet".to_owned())
}
