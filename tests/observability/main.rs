mod hooks;
mod metrics;
mod metrics_hot_path;
mod metrics_limits;
mod prometheus;
mod tracing;
