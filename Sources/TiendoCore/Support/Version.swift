/// The version of tiendo's programs and formats.
public enum TiendoVersion {
    public static let string = "0.1.0"
}
