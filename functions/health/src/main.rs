#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let env = gluelinks::startup();
    let function = health::Health::from_env(&env)?;
    gluelinks::http::run(|req| function.handle(req)).await
}
