// The QR matrix and its SVG/text drawings moved to PassQR (the server draws passes too); they
// stay part of KioskCore's API, so kiosk code and tests go on importing KioskCore alone.
@_exported import PassQR
