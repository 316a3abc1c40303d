pub mod audit;
pub mod health;
pub mod openapi;
pub mod registries;
pub mod session;
