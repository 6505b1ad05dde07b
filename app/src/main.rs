fn main() {
    creditlab_app::run_constructors();
    creditlab_app::start();
}
