//! Every scenario on the blocking client (`ocisdk-blocking`, ureq).

ocisdk_tests::scenarios!(ocisdk_blocking::Client);
