mod backoff_properties;
mod classify;
mod hints_and_limits;
mod policy;
mod results;
mod shapes;
mod testing_scopes;
