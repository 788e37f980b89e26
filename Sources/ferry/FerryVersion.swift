/// The version `ferry version` prints and the stats page shows.
enum FerryVersion {
    static let current = "0.1.0"
}
