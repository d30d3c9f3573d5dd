#![doc = include_str!("../README.md")]

mod error;
pub mod export;
mod model;
mod repo;
mod service;
mod validate;

pub use error::{NoticesError, Result};
pub use model::{
    MappingStatus, Notice, NoticeCreate, NoticeStatus, NoticeUpdate, Org, OrgCreate, Page, PageParams, Paging, Product,
    ProductCreate, ProductUpdate, Purpose, PurposeCreate, PurposeUpdate, RopaFilter, RopaParams, RopaRow, RopaScope,
    RopaSummary, Space, SpaceCreate,
};
pub use service::{DieselNoticesService, NoticesService};
