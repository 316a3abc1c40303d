pub mod audit;
pub mod health;
pub mod registries;
pub mod session;
