//! Every scenario on the async client (`ocisdk-hyper`, hyper on a multi-thread tokio runtime).

ocisdk_tests::scenarios!(ocisdk_tests::Hyper);
