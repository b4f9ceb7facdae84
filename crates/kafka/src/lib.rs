//! earshot-kafka
