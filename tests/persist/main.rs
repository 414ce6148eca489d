mod basics;
mod files;
mod limits;
mod parser;
mod saves;
