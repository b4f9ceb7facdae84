//! earshot-storage
