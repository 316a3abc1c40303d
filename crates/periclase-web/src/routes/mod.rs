pub mod audit;
pub mod declarations;
pub mod health;
pub mod openapi;
pub mod registries;
pub mod search;
pub mod session;
