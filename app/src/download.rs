//! Files the page hands to the browser's downloads: a link with `download` set, clicked.

use wasm_bindgen::JsCast;

/// Downloads `href` (a data: or blob: URL) as `name`.
pub fn link(name: &str, href: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "could not create a link")?
        .dyn_into()
        .map_err(|_| "could not create a link")?;
    anchor.set_href(href);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// Downloads `content` as a file `name` of type `mime`.
pub fn text(name: &str, mime: &str, content: &str) -> Result<(), String> {
    let blob = gloo_file::Blob::new_with_options(content, Some(mime));
    let url = gloo_file::ObjectUrl::from(blob);
    link(name, &url)?;
    // The download reads the blob after the click returns: revoke the URL a minute later.
    gloo_timers::callback::Timeout::new(60_000, move || drop(url)).forget();
    Ok(())
}

/// Downloads the concatenation of `parts` (JS strings) as a file `name` of type `mime`: a long
/// run's export never has to be one string in the wasm memory.
pub fn parts(name: &str, mime: &str, parts: &js_sys::Array) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(parts, &options).map_err(|_| "the browser could not build the file")?;
    let url = gloo_file::ObjectUrl::from(gloo_file::Blob::from(blob));
    link(name, &url)?;
    gloo_timers::callback::Timeout::new(60_000, move || drop(url)).forget();
    Ok(())
}
