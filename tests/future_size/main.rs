mod limits;
mod retry;
