//! The macro's behaviour as users see it: sample tables that must compile and
//! run (`ui/pass`), and broken tables whose errors must read as in `ui/fail/*.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
