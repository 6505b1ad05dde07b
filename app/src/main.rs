fn main() {
    creditlab_app::start();
}
