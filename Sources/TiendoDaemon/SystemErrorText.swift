import Foundation
import TiendoCore

/// The system's errors as an operator reads them: «không có quyền ghi», not `Error Domain=NSCocoaErrorDomain
/// Code=513 "You don’t have permission."`. Covers what starting the daemon meets (creating its directories, binding
/// its socket); anything else keeps the system's own words after a Vietnamese gist.
public enum SystemErrorText {
    public static func describe(_ error: any Error) -> String {
        if let e = error as? POSIXError { return ErrnoText.words(e.code.rawValue) ?? "\(e)" }
        if let e = error as? StatusWriteError { return e.description }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, let text = ErrnoText.words(Int32(ns.code)) { return text }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let text = ErrnoText.words(Int32(underlying.code))
        {
            return text
        }
        // Foundation's own codes for the same causes, said as their POSIX twins.
        if ns.domain == NSCocoaErrorDomain {
            let twin: Int32? =
                switch ns.code {
                case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: EACCES
                case NSFileWriteOutOfSpaceError: ENOSPC
                case NSFileWriteVolumeReadOnlyError: EROFS
                case NSFileNoSuchFileError, NSFileReadNoSuchFileError: ENOENT
                default: nil
                }
            if let twin, let text = ErrnoText.words(twin) { return text }
        }
        return "\(error)"
    }
}
