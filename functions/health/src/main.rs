#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let env = gluelinks_core::startup();
    let function = health::Health::from_env(&env)?;
    gluelinks_http::run(|req| function.handle(req)).await
}
