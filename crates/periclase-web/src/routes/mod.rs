pub mod health;
pub mod registries;
