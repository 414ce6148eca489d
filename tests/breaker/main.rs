mod basics;
mod faults;
mod stacking;
mod time_window;
