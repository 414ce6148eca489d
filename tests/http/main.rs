mod hints;
mod reqwest;
mod reqwest_middleware;
mod service;
mod tower;
