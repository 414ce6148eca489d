mod basics;
mod stacking;
