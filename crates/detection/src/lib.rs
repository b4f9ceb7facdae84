//! earshot-detection
