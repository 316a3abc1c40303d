pub mod audit;
pub mod health;
pub mod openapi;
pub mod registries;
pub mod search;
pub mod session;
